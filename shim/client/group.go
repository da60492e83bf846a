package client

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/berth-project/berth/shim/proto"
)

// envMode is the daemon-wide default for StartOptions.Mode.
var envMode = os.Getenv("BERTH_SHIM_MODE")

func groupMode(opts StartOptions) bool {
	if opts.Runtime != "" && opts.Runtime != "libcontainer" {
		return false // a runtime binary's init is re-parented to a subreaper shim
	}
	mode := opts.Mode
	if mode == "" {
		mode = envMode
	}
	return mode != "single"
}

func monitorDir(opts StartOptions) string {
	if opts.MonitorDir != "" {
		return opts.MonitorDir
	}
	return filepath.Join(filepath.Dir(filepath.Clean(opts.RuntimeRoot)), "shim-monitor")
}

// holds are this process's open OpHold connections, one per monitor
// directory: while the daemon runs its monitor stays up between
// containers; when the daemon exits the kernel closes them and an idle
// monitor exits too.
var (
	holdMu sync.Mutex
	holds  = map[string]*net.UnixConn{}
)

// createInGroup asks the monitor of opts' exec root to create the
// container, starting the monitor first when none runs. A monitor that is
// just exiting refuses the connection before doing anything, so one retry
// with a fresh monitor is safe.
func createInGroup(ctx context.Context, opts StartOptions) (*Shim, error) {
	dir := monitorDir(opts)
	req := proto.Request{Op: proto.OpCreate, Create: &proto.Create{
		ID: opts.ID, Bundle: opts.BundleDir, Runtime: opts.Runtime, RuntimeRoot: opts.RuntimeRoot,
		LogPath: opts.LogPath, LogMaxSize: opts.LogMaxSize, LogMaxFile: max(opts.LogMaxFile, 1), LogCompress: opts.LogCompress,
		Stdin: opts.OpenStdin, StdinOnce: opts.StdinOnce, Tty: opts.Tty,
	}}
	var lastErr error
	for attempt := 0; attempt < 2; attempt++ {
		if err := holdMonitor(ctx, opts.ShimPath, dir); err != nil {
			return nil, err
		}
		c, err := dialMonitor(ctx, dir, req)
		if err != nil {
			dropHold(dir)
			lastErr = err
			continue
		}
		return awaitCreated(ctx, c, dir, opts.BundleDir)
	}
	return nil, fmt.Errorf("shim monitor %s: %w", dir, lastErr)
}

// dialMonitor connects and sends req; an error means the monitor did not
// get the request.
func dialMonitor(ctx context.Context, dir string, req proto.Request) (*net.UnixConn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", proto.MonitorSocketPath(dir))
	if err != nil {
		return nil, err
	}
	uc := c.(*net.UnixConn)
	if _, err := uc.Write(proto.Marshal(req)); err != nil {
		uc.Close()
		return nil, err
	}
	return uc, nil
}

// awaitCreated reads the monitor's answer. When ctx ends first the
// container, once created, is killed; its shim goroutines then clean up.
func awaitCreated(ctx context.Context, c *net.UnixConn, dir, bundle string) (*Shim, error) {
	type result struct {
		r   proto.Response
		err error
	}
	ch := make(chan result, 1)
	go func() {
		defer c.Close()
		line, err := bufio.NewReader(c).ReadBytes('\n')
		var r proto.Response
		if err == nil {
			err = json.Unmarshal(line, &r)
		} else if errors.Is(err, io.EOF) {
			err = fmt.Errorf("shim monitor hung up during create%s", monitorLogTail(dir))
		}
		ch <- result{r, err}
	}()
	select {
	case res := <-ch:
		if res.err != nil {
			return nil, res.err
		}
		if res.r.Error != "" {
			// Verbatim: the daemon maps runtime messages to exit codes.
			return nil, errors.New(res.r.Error)
		}
		return &Shim{bundle: bundle, sock: proto.SocketPath(bundle), pid: res.r.Pid}, nil
	case <-ctx.Done():
		go func() {
			if res := <-ch; res.err == nil && res.r.Error == "" {
				s := &Shim{sock: proto.SocketPath(bundle)}
				_ = s.Kill(context.Background(), syscall.SIGKILL, true)
			}
		}()
		return nil, ctx.Err()
	}
}

// holdMonitor makes sure a monitor serves dir and that we hold it.
func holdMonitor(ctx context.Context, shimPath, dir string) error {
	holdMu.Lock()
	defer holdMu.Unlock()
	if holds[dir] != nil {
		return nil
	}
	c, err := dialMonitor(ctx, dir, proto.Request{Op: proto.OpHold})
	if err != nil {
		serr := spawnMonitor(ctx, shimPath, dir)
		// Another process may have started one meanwhile: use it.
		if c, err = dialMonitor(ctx, dir, proto.Request{Op: proto.OpHold}); err != nil {
			if serr != nil {
				return serr
			}
			return fmt.Errorf("shim monitor %s: %w", dir, err)
		}
	}
	holds[dir] = c
	go func() {
		// The monitor never writes on a hold; EOF means it is gone.
		var b [64]byte
		for {
			if _, err := c.Read(b[:]); err != nil {
				break
			}
		}
		holdMu.Lock()
		if holds[dir] == c {
			delete(holds, dir)
		}
		holdMu.Unlock()
		c.Close()
	}()
	return nil
}

func dropHold(dir string) {
	holdMu.Lock()
	c := holds[dir]
	delete(holds, dir)
	holdMu.Unlock()
	if c != nil {
		c.Close()
	}
}

// spawnMonitor starts `berth-shim group` in its own session (it outlives
// the daemon while containers run) and waits until it listens.
func spawnMonitor(ctx context.Context, shimPath, dir string) error {
	if shimPath == "" {
		return errors.New("shim: ShimPath is required")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return err
	}
	defer readyR.Close()
	logf, err := os.OpenFile(filepath.Join(dir, proto.MonitorLogFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		readyW.Close()
		return err
	}
	cmd := &exec.Cmd{
		Path:        shimPath,
		Args:        []string{shimPath, "group", "--dir", dir},
		Dir:         dir,
		Stderr:      logf,
		ExtraFiles:  []*os.File{readyW}, // fd 3
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
		Env:         shimEnv,
	}
	err = cmd.Start()
	readyW.Close()
	logf.Close()
	if err != nil {
		return fmt.Errorf("starting shim monitor: %w", err)
	}
	// Reap it when it exits while we are its parent.
	go func() { _ = cmd.Wait() }()
	if dl, ok := ctx.Deadline(); ok {
		_ = readyR.SetReadDeadline(dl)
	} else {
		_ = readyR.SetReadDeadline(time.Now().Add(30 * time.Second))
	}
	b, err := io.ReadAll(readyR)
	if err != nil {
		return fmt.Errorf("shim monitor readiness: %w", err)
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return fmt.Errorf("shim monitor exited before it was ready%s", monitorLogTail(dir))
	}
	var r proto.Ready
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("shim monitor readiness: %w", err)
	}
	if r.Error != "" {
		return fmt.Errorf("shim monitor: %s", r.Error)
	}
	return nil
}

func monitorLogTail(dir string) string {
	return tail(filepath.Join(dir, proto.MonitorLogFile))
}
