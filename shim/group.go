package shim

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/berth-project/berth/shim/proto"
)

// groupMode is set in a monitor process: one berth-shim serving many
// containers of one exec root (`berth-shim group`). Each container still
// has its own socket, pid file and exit.json in its bundle, so the daemon
// talks to it exactly as to a single-container shim.
var groupMode bool

// monitor is the state of a group monitor.
type monitor struct {
	dir string
	l   *net.UnixListener

	mu         sync.Mutex
	containers map[string]*shim
	busy       int // accepted connections not yet finished (creates, holds)
	closing    bool
}

// MainGroup runs `berth-shim group --dir DIR` and returns the process exit
// code. It serves until it has neither containers nor holders (daemons
// keep one connection open while they run) and then exits, so stopping
// the daemon with no containers leaves no process behind.
func MainGroup(args []string) int {
	tuneRuntime()
	// The heap grows with the containers served (~100 KiB each); GOGC
	// bounds it, a fixed cap would only make GC spin at a few hundred.
	debug.SetMemoryLimit(math.MaxInt64)
	raiseNofile()
	groupMode = true
	fs := flag.NewFlagSet("berth-shim group", flag.ContinueOnError)
	dir := fs.String("dir", "", "monitor directory (socket, pid file)")
	ready := os.NewFile(3, "ready")
	if err := fs.Parse(args); err != nil {
		reportReady(ready, proto.Ready{Error: err.Error()})
		return 2
	}
	if *dir == "" {
		reportReady(ready, proto.Ready{Error: "berth-shim group: --dir is required"})
		return 2
	}
	m := &monitor{dir: *dir, containers: map[string]*shim{}}
	if err := m.listen(); err != nil {
		reportReady(ready, proto.Ready{Error: err.Error()})
		return 1
	}
	reportReady(ready, proto.Ready{Pid: os.Getpid()})
	m.serve()
	return 0
}

// raiseNofile lifts the monitor's open-file limit to the kernel maximum
// when allowed (CAP_SYS_RESOURCE; else Go's start-up raise of the soft
// limit to the hard one is what we get): each container costs ~7 fds. It
// uses the raw syscall on purpose:
// syscall.Setrlimit would make the raised limit the containers' default
// too, while this way Go still restores the limit we started with in
// every child, exactly as for a single-container shim.
func raiseNofile() {
	b, err := os.ReadFile("/proc/sys/fs/nr_open")
	if err != nil {
		return
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return
	}
	lim := syscall.Rlimit{Cur: n, Max: n}
	var old syscall.Rlimit
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, 0, syscall.RLIMIT_NOFILE, 0, uintptr(unsafe.Pointer(&old)), 0, 0); e != 0 || old.Max >= n {
		return
	}
	_, _, _ = syscall.RawSyscall6(syscall.SYS_PRLIMIT64, 0, syscall.RLIMIT_NOFILE, uintptr(unsafe.Pointer(&lim)), 0, 0, 0)
}

func (m *monitor) listen() error {
	if err := os.MkdirAll(m.dir, 0o700); err != nil {
		return err
	}
	sock := proto.MonitorSocketPath(m.dir)
	_ = os.MkdirAll(filepath.Dir(sock), 0o700)
	// A live monitor answers; only a stale socket may be replaced.
	if c, err := net.DialTimeout("unix", sock, time.Second); err == nil {
		c.Close()
		return fmt.Errorf("berth-shim group: a monitor already serves %s", m.dir)
	}
	_ = os.Remove(sock)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		return err
	}
	m.l = l
	return os.WriteFile(filepath.Join(m.dir, proto.MonitorPidFile), []byte(strconv.Itoa(os.Getpid())), 0o644)
}

// serve accepts until the monitor has nothing left to do. Whether to stop
// is decided under mu together with counting a new connection, so a
// connection is either served or refused (the client then starts a new
// monitor), never half done.
func (m *monitor) serve() {
	for {
		c, err := m.l.AcceptUnix()
		if err != nil {
			return // closed by maybeExit
		}
		m.mu.Lock()
		m.busy++
		m.mu.Unlock()
		go func() {
			defer m.release()
			m.handle(c)
		}()
	}
}

func (m *monitor) release() {
	m.mu.Lock()
	m.busy--
	m.mu.Unlock()
	m.maybeExit()
}

// maybeExit stops accepting when no container and no connection is left;
// serve then returns and the process exits.
func (m *monitor) maybeExit() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closing || m.busy > 0 || len(m.containers) > 0 {
		return
	}
	m.closing = true
	_ = os.Remove(proto.MonitorSocketPath(m.dir))
	_ = os.Remove(filepath.Join(m.dir, proto.MonitorPidFile))
	m.l.Close()
}

func (m *monitor) handle(c *net.UnixConn) {
	defer c.Close()
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "berth-shim group: panic in request: %v\n", r)
		}
	}()
	line, err := bufio.NewReaderSize(c, 1024).ReadBytes('\n')
	if err != nil {
		return
	}
	var req proto.Request
	if err := json.Unmarshal(line, &req); err != nil {
		_ = reply(c, proto.Response{Error: "bad request: " + err.Error()})
		return
	}
	switch req.Op {
	case proto.OpHold:
		// Until the daemon hangs up (or exits).
		var b [64]byte
		for {
			if _, err := c.Read(b[:]); err != nil {
				return
			}
		}
	case proto.OpCreate:
		pid, err := m.create(req.Create)
		resp := proto.Response{Pid: pid}
		if err != nil {
			resp.Error = err.Error()
		}
		_ = reply(c, resp)
	default:
		_ = reply(c, proto.Response{Error: "unknown op " + req.Op})
	}
}

// create makes one container; from then on its own goroutines serve it
// and reap it, and the monitor only keeps count.
func (m *monitor) create(cr *proto.Create) (int, error) {
	if cr == nil || cr.ID == "" || cr.Bundle == "" || cr.RuntimeRoot == "" {
		return 0, errors.New("berth-shim group: id, bundle and runtime root are required")
	}
	trace("create request " + cr.ID)
	o := options{
		id: cr.ID, bundle: cr.Bundle, runtime: cr.Runtime, runtimeRoot: cr.RuntimeRoot,
		logPath: cr.LogPath, logMaxSize: cr.LogMaxSize, logMaxFile: max(cr.LogMaxFile, 1), logCompress: cr.LogCompress,
		stdin: cr.Stdin, stdinOnce: cr.StdinOnce, tty: cr.Tty,
	}
	m.mu.Lock()
	if _, dup := m.containers[o.id]; dup {
		m.mu.Unlock()
		return 0, fmt.Errorf("container %s is already running in this monitor", o.id)
	}
	s := newShim(o)
	m.containers[o.id] = s
	m.mu.Unlock()
	s.onDone = func() {
		m.mu.Lock()
		delete(m.containers, o.id)
		m.mu.Unlock()
		m.maybeExit()
		trimMemory()
	}

	wait, err := func() (w waitFunc, err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("berth-shim group: panic creating container: %v", r)
			}
		}()
		return s.create()
	}()
	if err != nil {
		m.mu.Lock()
		delete(m.containers, o.id)
		m.mu.Unlock()
		return 0, err
	}
	go s.run(wait)
	trace("create done " + cr.ID)
	trimMemory()
	return s.pid, nil
}
