// Package shim is berth-shim, the per-container process: it creates the
// container through an OCI runtime (embedded libcontainer or a runc-style
// CLI), owns the container's stdio or pty, writes the json-file log, fans
// output out to attach connections, serves the daemon on <bundle>/shim.sock
// and records the exit status in <bundle>/exit.json. It runs in its own
// session so it outlives daemon restarts.
package shim

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/berth-project/berth/logger/jsonfile"
	"github.com/berth-project/berth/shim/proto"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

type options struct {
	id, bundle, runtime, runtimeRoot string
	logPath                          string
	logMaxSize                       int64
	logMaxFile                       int
	logCompress                      bool
	stdin, stdinOnce, tty            bool
}

// shim is the state of one running shim.
type shim struct {
	opts options
	exe  executor
	spec *specs.Spec
	pid  int

	mu     sync.Mutex
	status string // created, running, paused, stopped
	execs  map[string]*execProc

	out      *hub
	stdinW   *os.File // shim side of the container's stdin (pipe or pty)
	stdinMu  sync.Mutex
	console  *os.File
	pumps    sync.WaitGroup
	exitCh   chan struct{} // closed when exit is final
	exit     proto.Exit
	waiters  sync.WaitGroup
	listener *net.UnixListener
	closeLog func()
	pipes    []*os.File
	onDone   func() // group mode: the container is finished
}

// Main runs `berth-shim start ...` (one process per container) and returns
// the process exit code.
func Main(args []string) int {
	tuneRuntime()
	var o options
	fs := flag.NewFlagSet("berth-shim start", flag.ContinueOnError)
	fs.StringVar(&o.id, "id", "", "container id")
	fs.StringVar(&o.bundle, "bundle", "", "bundle directory")
	fs.StringVar(&o.runtime, "runtime", "", `"libcontainer" or a runc-compatible binary`)
	fs.StringVar(&o.runtimeRoot, "runtime-root", "", "runtime state root")
	fs.StringVar(&o.logPath, "log-path", "", "json-file log path")
	fs.Int64Var(&o.logMaxSize, "log-max-size", 0, "rotate at this many bytes")
	fs.IntVar(&o.logMaxFile, "log-max-file", 1, "log files kept")
	fs.BoolVar(&o.logCompress, "log-compress", false, "gzip rotated log files")
	fs.BoolVar(&o.stdin, "stdin", false, "keep stdin open")
	fs.BoolVar(&o.stdinOnce, "stdin-once", false, "close stdin after the first attach ends")
	fs.BoolVar(&o.tty, "tty", false, "allocate a pty")
	ready := os.NewFile(3, "ready")
	if err := fs.Parse(args); err != nil {
		reportReady(ready, proto.Ready{Error: err.Error()})
		return 2
	}
	if o.id == "" || o.bundle == "" || o.runtimeRoot == "" {
		reportReady(ready, proto.Ready{Error: "berth-shim start: --id, --bundle and --runtime-root are required"})
		return 2
	}
	trace("main")
	s := newShim(o)
	wait, err := s.create()
	if err != nil {
		reportReady(ready, proto.Ready{Error: err.Error()})
		return 1
	}
	trace("created")
	reportReady(ready, proto.Ready{Pid: s.pid})
	trimMemory()
	s.run(wait)
	return 0
}

// tuneRuntime makes an idle shim or monitor cost little: one P, frequent
// GC, a soft cap.
func tuneRuntime() {
	runtime.GOMAXPROCS(1)
	debug.SetGCPercent(25)
	debug.SetMemoryLimit(64 << 20)
}

func newShim(o options) *shim {
	return &shim{opts: o, status: "created", execs: map[string]*execProc{}, out: newHub(), exitCh: make(chan struct{})}
}

func reportReady(f *os.File, r proto.Ready) {
	if f == nil {
		return
	}
	_, _ = f.Write(proto.Marshal(r))
	_ = f.Close()
	if r.Error != "" {
		fmt.Fprintln(os.Stderr, "berth-shim:", r.Error)
	}
}

// create makes the container and starts serving; after it returns nil the
// daemon may connect.
func (s *shim) create() (waitFunc, error) {
	o := s.opts
	b, err := os.ReadFile(filepath.Join(o.bundle, "config.json"))
	if err != nil {
		return nil, err
	}
	var spec specs.Spec
	if err := json.Unmarshal(b, &spec); err != nil {
		return nil, fmt.Errorf("config.json: %w", err)
	}
	if spec.Process == nil {
		return nil, fmt.Errorf("config.json: no process")
	}
	// A relative root is relative to the bundle (the OCI rule); resolve it
	// here rather than chdir, which would be process-wide in a monitor.
	if spec.Root != nil && !filepath.IsAbs(spec.Root.Path) {
		spec.Root.Path = filepath.Join(o.bundle, spec.Root.Path)
	}
	s.spec = &spec
	s.exe = newExecutor(o.runtime, o.runtimeRoot, o.id, o.bundle)
	if _, ok := s.exe.(*cliExecutor); ok {
		if groupMode {
			return nil, errors.New("berth-shim group: runtime binaries need the single-container shim")
		}
		// Init is re-parented to us once the runtime CLI exits.
		if err := setSubreaper(); err != nil {
			return nil, err
		}
	}

	var logw *jsonfile.Writer
	if o.logPath != "" {
		if logw, err = jsonfile.NewWriter(o.logPath, o.logMaxSize, o.logMaxFile); err != nil {
			return nil, err
		}
		logw.Compress = o.logCompress
	}

	// Container-side stdio; our ends are kept, theirs closed after create.
	// On failure everything opened here is closed: in group mode the
	// process lives on, so nothing may leak.
	pio := procIO{Tty: o.tty}
	var theirs []*os.File
	var outR, errR *os.File
	created := false
	defer func() {
		if created {
			return
		}
		for _, f := range append(theirs, outR, errR, s.stdinW) {
			if f != nil {
				f.Close()
			}
		}
		if logw != nil {
			logw.Close()
		}
	}()
	if !o.tty {
		var w1, w2 *os.File
		if outR, w1, err = os.Pipe(); err != nil {
			return nil, err
		}
		if errR, w2, err = os.Pipe(); err != nil {
			return nil, err
		}
		pio.Stdout, pio.Stderr = w1, w2
		theirs = append(theirs, w1, w2)
		if o.stdin {
			r, w, err := os.Pipe()
			if err != nil {
				return nil, err
			}
			pio.Stdin, s.stdinW = r, w
			theirs = append(theirs, r)
		}
	} else if spec.Process.ConsoleSize != nil {
		pio.Height, pio.Width = uint16(spec.Process.ConsoleSize.Height), uint16(spec.Process.ConsoleSize.Width)
	}
	pid, console, wait, err := s.exe.Create(&spec, pio)
	for _, f := range theirs {
		f.Close()
	}
	theirs = nil
	if err != nil {
		return nil, err
	}
	created = true
	s.pid = pid

	// Output pumps start now: nothing is lost before start or attach.
	now := time.Now
	if o.tty {
		s.console = console
		if o.stdin {
			s.stdinW = console
		}
		lg := &lineLog{w: logw, stream: "stdout"}
		s.pumps.Add(1)
		go func() {
			defer s.pumps.Done()
			pump(console, func(p []byte) { s.out.broadcast(proto.Stdout, p); lg.write(p, now()) })
			lg.flush(now())
		}()
	} else {
		for _, st := range []struct {
			r      *os.File
			stream byte
			name   string
		}{{outR, proto.Stdout, "stdout"}, {errR, proto.Stderr, "stderr"}} {
			st := st
			lg := &lineLog{w: logw, stream: st.name}
			s.pumps.Add(1)
			go func() {
				defer s.pumps.Done()
				defer st.r.Close()
				pump(st.r, func(p []byte) { s.out.broadcast(st.stream, p); lg.write(p, now()) })
				lg.flush(now())
			}()
		}
	}
	s.closeLog = func() {
		if logw != nil {
			logw.Close()
		}
	}
	s.pipes = []*os.File{outR, errR}

	sock := proto.SocketPath(o.bundle)
	_ = os.MkdirAll(filepath.Dir(sock), 0o700)
	_ = os.Remove(sock)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err == nil {
		if err = os.WriteFile(filepath.Join(o.bundle, proto.PidFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
			l.Close()
		}
	}
	if err != nil {
		_ = s.exe.Kill(syscall.SIGKILL, true)
		_, _ = wait()
		s.pumps.Wait()
		if console != nil {
			console.Close()
		}
		if s.stdinW != nil && s.stdinW != console {
			s.stdinW.Close()
		}
		s.closeLog()
		_ = s.exe.Destroy()
		return nil, err
	}
	s.listener = l
	go s.serve()
	return wait, nil
}

// run waits for init to exit and finishes the container's life.
func (s *shim) run(wait waitFunc) {
	defer func() {
		if s.onDone != nil {
			s.onDone()
		}
	}()
	defer s.recoverPanic("run")
	st, werr := wait()
	trace("init exited")
	exitedAt := time.Now().UTC()
	code := exitCode(st)
	if werr != nil && st == nil {
		fmt.Fprintln(os.Stderr, "berth-shim: wait:", werr)
	}
	s.mu.Lock()
	s.status = "stopped"
	s.mu.Unlock()

	// Drain output. Without a pid namespace, leftover processes may hold
	// the pipes open; do not wait for them forever.
	drained := make(chan struct{})
	go func() { s.pumps.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(5 * time.Second):
		for _, f := range s.pipes {
			if f != nil {
				f.Close()
			}
		}
		if s.console != nil {
			s.console.Close()
		}
		<-drained
	}
	trace("drained")
	s.closeLog()
	oom := oomKilled(s.spec)
	s.exit = proto.Exit{ExitCode: code, ExitedAt: exitedAt, OOMKilled: oom}
	if err := writeExit(s.opts.bundle, s.exit); err != nil {
		fmt.Fprintln(os.Stderr, "berth-shim: exit.json:", err)
	}
	if err := s.exe.Destroy(); err != nil {
		fmt.Fprintln(os.Stderr, "berth-shim: destroy:", err)
	}
	trace("destroyed")
	if s.console != nil {
		s.console.Close()
	}
	s.stdinMu.Lock()
	if s.stdinW != nil && s.stdinW != s.console {
		s.stdinW.Close()
	}
	s.stdinMu.Unlock()
	s.out.close(writeTimeout)
	// Stop accepting, then answer the waiters; a late client reads exit.json.
	_ = os.Remove(proto.SocketPath(s.opts.bundle))
	_ = os.Remove(filepath.Join(s.opts.bundle, proto.PidFile))
	s.listener.Close()
	close(s.exitCh)
	done := make(chan struct{})
	go func() { s.waiters.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}

// writeExit records the exit status atomically.
func writeExit(bundle string, e proto.Exit) error {
	tmp := filepath.Join(bundle, "."+proto.ExitFile)
	if err := os.WriteFile(tmp, proto.Marshal(e), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(bundle, proto.ExitFile))
}

func setSubreaper() error {
	const prSetChildSubreaper = 36
	_, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
	if e != 0 {
		return e
	}
	return nil
}

var traceOn = os.Getenv("BERTH_SHIM_TRACE") != ""
var t0 = time.Now()

// recoverPanic keeps a bug hit by one container from ending the process
// that, in group mode, serves every other container too.
func (s *shim) recoverPanic(where string) {
	if r := recover(); r != nil {
		fmt.Fprintf(os.Stderr, "berth-shim: container %s: panic in %s: %v\n%s", s.opts.id, where, r, debug.Stack())
	}
}

func trace(what string) {
	if traceOn {
		fmt.Fprintf(os.Stderr, "%s %s %v\n", time.Now().Format("15:04:05.000000"), what, time.Since(t0))
	}
}
