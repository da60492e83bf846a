// Package client is the daemon's side of the shim: it spawns berth-shim for
// a container and talks to it over the shim's unix socket. The shim owns
// the container's stdio, log and exit status, so the daemon can restart
// and reconnect with Connect.
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
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/berth-project/berth/shim/proto"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// StartOptions describe the container the shim runs.
type StartOptions struct {
	ShimPath    string // path of the berth-shim binary
	ID          string
	BundleDir   string // holds config.json (the OCI spec); the shim keeps its socket, pid and exit files here
	Runtime     string // "" or "libcontainer" for the embedded one, else a runc-compatible binary path
	RuntimeRoot string // state root for the runtime, e.g. <exec-root>/runtime
	LogPath     string // json-file log; "" disables logging (log driver "none")
	LogMaxSize  int64  // bytes, 0 = unlimited
	LogMaxFile  int    // rotated files kept, >=1
	LogCompress bool   // gzip rotated files
	OpenStdin   bool
	StdinOnce   bool
	Tty         bool
	// Mode is "group" (one monitor process per MonitorDir serves every
	// container; the default for the embedded runtime) or "single" (one
	// berth-shim per container; always used for runtime binaries). Empty
	// means $BERTH_SHIM_MODE, else group.
	Mode string
	// MonitorDir holds the group monitor's socket, pid file and log;
	// default <dir of RuntimeRoot>/shim-monitor (one per exec root).
	MonitorDir string
}

// ExitStatus is how the container's init ended.
type ExitStatus struct {
	ExitCode  int
	ExitedAt  time.Time
	OOMKilled bool
	Error     string // set when the process could not be started
}

// Shim is a connection to one container's shim. It holds no open
// connection: every operation dials the shim's socket, so a Shim stays
// usable across shim-side hiccups and costs nothing while idle.
type Shim struct {
	bundle string
	sock   string
	pid    int
}

// Create spawns the shim, which creates the container (namespaces,
// cgroups, rootfs; the user process not yet exec'd) and returns. The shim
// process is detached (own session) so it outlives the daemon.
func Create(ctx context.Context, opts StartOptions) (*Shim, error) {
	if opts.ShimPath == "" || opts.ID == "" || opts.BundleDir == "" || opts.RuntimeRoot == "" {
		return nil, errors.New("shim: ShimPath, ID, BundleDir and RuntimeRoot are required")
	}
	for _, f := range []string{proto.ExitFile, proto.SocketFile, proto.PidFile} {
		_ = os.Remove(filepath.Join(opts.BundleDir, f))
	}
	if groupMode(opts) {
		return createInGroup(ctx, opts)
	}
	args := []string{"start", "--id", opts.ID, "--bundle", opts.BundleDir,
		"--runtime", opts.Runtime, "--runtime-root", opts.RuntimeRoot}
	if opts.LogPath != "" {
		args = append(args, "--log-path", opts.LogPath,
			"--log-max-size", strconv.FormatInt(opts.LogMaxSize, 10),
			"--log-max-file", strconv.Itoa(max(opts.LogMaxFile, 1)))
		if opts.LogCompress {
			args = append(args, "--log-compress")
		}
	}
	if opts.OpenStdin {
		args = append(args, "--stdin")
	}
	if opts.StdinOnce {
		args = append(args, "--stdin-once")
	}
	if opts.Tty {
		args = append(args, "--tty")
	}
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer readyR.Close()
	logf, err := os.OpenFile(filepath.Join(opts.BundleDir, proto.LogFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		readyW.Close()
		return nil, err
	}
	cmd := &exec.Cmd{
		Path:        opts.ShimPath,
		Args:        append([]string{opts.ShimPath}, args...),
		Dir:         opts.BundleDir,
		Stderr:      logf,
		ExtraFiles:  []*os.File{readyW}, // fd 3
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
		Env:         shimEnv,
	}
	err = cmd.Start()
	readyW.Close()
	logf.Close()
	if err != nil {
		return nil, fmt.Errorf("starting shim: %w", err)
	}
	// Reap the shim when it exits while we are its parent; after a daemon
	// restart init does.
	go func() { _ = cmd.Wait() }()

	type result struct {
		r   proto.Ready
		err error
	}
	ch := make(chan result, 1)
	go func() {
		b, err := io.ReadAll(readyR)
		var r proto.Ready
		if err == nil {
			if len(strings.TrimSpace(string(b))) == 0 {
				err = fmt.Errorf("shim exited before it was ready%s", shimLogTail(opts.BundleDir))
			} else if jerr := json.Unmarshal(b, &r); jerr != nil {
				err = fmt.Errorf("shim readiness: %w", jerr)
			}
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
		return &Shim{bundle: opts.BundleDir, sock: proto.SocketPath(opts.BundleDir), pid: res.r.Pid}, nil
	case <-ctx.Done():
		// Do not leave a created container behind: when the shim gets
		// ready, kill it; it then cleans up and exits on its own.
		go func() {
			if res := <-ch; res.err == nil && res.r.Pid != 0 {
				s := &Shim{sock: proto.SocketPath(opts.BundleDir)}
				_ = s.Kill(context.Background(), syscall.SIGKILL, true)
			}
		}()
		return nil, ctx.Err()
	}
}

// shimEnv is the shim's whole environment: a fixed PATH for runtime
// binaries, plus BERTH_SHIM_TRACE (timing lines in shim.log) when set.
var shimEnv = func() []string {
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	if v := os.Getenv("BERTH_SHIM_TRACE"); v != "" {
		env = append(env, "BERTH_SHIM_TRACE="+v)
	}
	return env
}()

func shimLogTail(bundle string) string { return tail(filepath.Join(bundle, proto.LogFile)) }

// tail is the end of a log file, as ": text" for an error message.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	s := strings.TrimSpace(string(b))
	if len(s) > 500 {
		s = s[len(s)-500:]
	}
	if s == "" {
		return ""
	}
	return ": " + s
}

// Connect reattaches to a running shim after a daemon restart. It returns
// an error wrapping os.ErrNotExist when the shim is gone; ReadExit then
// tells how the container ended.
func Connect(ctx context.Context, bundleDir string) (*Shim, error) {
	s := &Shim{bundle: bundleDir, sock: proto.SocketPath(bundleDir)}
	resp, err := s.rpc(ctx, proto.Request{Op: proto.OpState})
	if err != nil {
		return nil, err
	}
	s.pid = resp.Pid
	return s, nil
}

// ReadExit reads the exit status the shim recorded in bundleDir.
func ReadExit(bundleDir string) (ExitStatus, error) {
	b, err := os.ReadFile(filepath.Join(bundleDir, proto.ExitFile))
	if err != nil {
		return ExitStatus{}, err
	}
	var e proto.Exit
	if err := json.Unmarshal(b, &e); err != nil {
		return ExitStatus{}, fmt.Errorf("%s: %w", proto.ExitFile, err)
	}
	return ExitStatus{ExitCode: e.ExitCode, ExitedAt: e.ExitedAt, OOMKilled: e.OOMKilled, Error: e.Error}, nil
}

// Pid is the container init's host pid.
func (s *Shim) Pid() int { return s.pid }

// dial connects and sends req; a missing or dead shim is os.ErrNotExist.
func (s *Shim) dial(ctx context.Context, req proto.Request) (*net.UnixConn, *bufio.Reader, proto.Response, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", s.sock)
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
			return nil, nil, proto.Response{}, fmt.Errorf("shim %s: %w", s.sock, os.ErrNotExist)
		}
		return nil, nil, proto.Response{}, err
	}
	uc := c.(*net.UnixConn)
	if dl, ok := ctx.Deadline(); ok {
		uc.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { uc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := uc.Write(proto.Marshal(req)); err != nil {
		uc.Close()
		return nil, nil, proto.Response{}, s.connErr(ctx, err)
	}
	br := bufio.NewReader(uc)
	line, err := br.ReadBytes('\n')
	if err != nil {
		uc.Close()
		return nil, nil, proto.Response{}, s.connErr(ctx, err)
	}
	var resp proto.Response
	if err := json.Unmarshal(line, &resp); err != nil {
		uc.Close()
		return nil, nil, proto.Response{}, fmt.Errorf("shim response: %w", err)
	}
	uc.SetDeadline(time.Time{})
	if resp.Error != "" {
		uc.Close()
		return nil, nil, resp, errors.New(resp.Error)
	}
	return uc, br, resp, nil
}

func (s *Shim) connErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return fmt.Errorf("shim %s hung up: %w", s.sock, os.ErrNotExist)
	}
	return err
}

// rpc is a one-shot request/response.
func (s *Shim) rpc(ctx context.Context, req proto.Request) (proto.Response, error) {
	c, _, resp, err := s.dial(ctx, req)
	if err != nil {
		return resp, err
	}
	c.Close()
	return resp, nil
}

// Start execs the user process (after attach streams are connected).
func (s *Shim) Start(ctx context.Context) error {
	_, err := s.rpc(ctx, proto.Request{Op: proto.OpStart})
	return err
}

// Wait blocks until the container exits and output is flushed to the log
// and attached streams. Then the shim cleans up (runtime delete, cgroup)
// and exits.
func (s *Shim) Wait(ctx context.Context) (ExitStatus, error) {
	resp, err := s.rpc(ctx, proto.Request{Op: proto.OpWait})
	if err != nil {
		if ctx.Err() != nil {
			return ExitStatus{}, ctx.Err()
		}
		// The shim already finished (or died): the record on disk tells.
		if errors.Is(err, os.ErrNotExist) && s.bundle != "" {
			if st, rerr := ReadExit(s.bundle); rerr == nil {
				return st, nil
			}
		}
		return ExitStatus{}, err
	}
	return ExitStatus{ExitCode: resp.ExitCode, ExitedAt: resp.ExitedAt, OOMKilled: resp.OOMKilled}, nil
}

// Kill signals init (or all processes with all=true).
func (s *Shim) Kill(ctx context.Context, sig syscall.Signal, all bool) error {
	_, err := s.rpc(ctx, proto.Request{Op: proto.OpKill, Signal: int(sig), All: all})
	return err
}

// Resize sets the container TTY size.
func (s *Shim) Resize(ctx context.Context, height, width uint16) error {
	_, err := s.rpc(ctx, proto.Request{Op: proto.OpResize, Height: height, Width: width})
	return err
}

// ResizeExec sets an exec process's TTY size.
func (s *Shim) ResizeExec(ctx context.Context, execID string, height, width uint16) error {
	_, err := s.rpc(ctx, proto.Request{Op: proto.OpResizeExec, ExecID: execID, Height: height, Width: width})
	return err
}

// Pause freezes the container; Resume thaws it.
func (s *Shim) Pause(ctx context.Context) error {
	_, err := s.rpc(ctx, proto.Request{Op: proto.OpPause})
	return err
}

func (s *Shim) Resume(ctx context.Context) error {
	_, err := s.rpc(ctx, proto.Request{Op: proto.OpResume})
	return err
}

// Update applies new cgroup resources.
func (s *Shim) Update(ctx context.Context, r *specs.LinuxResources) error {
	_, err := s.rpc(ctx, proto.Request{Op: proto.OpUpdate, Resources: r})
	return err
}

// Pids lists the host pids of the container's processes.
func (s *Shim) Pids(ctx context.Context) ([]int, error) {
	resp, err := s.rpc(ctx, proto.Request{Op: proto.OpPids})
	return resp.Pids, err
}

// State returns init's pid and the container status as the shim sees it
// (created, running, paused, stopped).
func (s *Shim) State(ctx context.Context) (pid int, status string, err error) {
	resp, err := s.rpc(ctx, proto.Request{Op: proto.OpState})
	return resp.Pid, resp.Status, err
}

// Close drops the connection (the shim keeps running).
func (s *Shim) Close() error { return nil }
