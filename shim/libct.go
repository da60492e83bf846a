package shim

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	// Registers the device-rules manager, as runc's main does; without
	// it libcontainer refuses any spec with device cgroup rules.
	_ "github.com/opencontainers/cgroups/devices"
	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/configs"
	"github.com/opencontainers/runc/libcontainer/specconv"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
	"strconv"
)

// libctExecutor runs the container with the embedded libcontainer; the
// container's init is `berth-shim init`, a child of this shim.
type libctExecutor struct {
	root, id, bundle string
	spec             *specs.Spec
	c                *libcontainer.Container
}

func (e *libctExecutor) Create(spec *specs.Spec, io procIO) (int, *os.File, waitFunc, error) {
	e.spec = spec
	cfg, err := specconv.CreateLibcontainerConfig(&specconv.CreateOpts{
		CgroupName: e.id,
		Spec:       spec,
	})
	if err != nil {
		return 0, nil, nil, err
	}
	// specconv labels the container with its cwd as the bundle (runc runs
	// in the bundle); we do not chdir, so say where the bundle really is.
	for i, l := range cfg.Labels {
		if strings.HasPrefix(l, "bundle=") {
			cfg.Labels[i] = "bundle=" + e.bundle
		}
	}
	trace("config converted")
	c, err := libcontainer.Create(e.root, e.id, cfg)
	if err != nil {
		return 0, nil, nil, err
	}
	trace("libcontainer created")
	e.c = c
	p, err := newProcess(spec.Process)
	if err != nil {
		_ = c.Destroy()
		return 0, nil, nil, err
	}
	p.Init = true
	if traceOn {
		logrus.SetLevel(logrus.DebugLevel)
		logrus.SetFormatter(&logrus.TextFormatter{FullTimestamp: true, TimestampFormat: "15:04:05.000000"})
		p.LogLevel = strconv.Itoa(int(logrus.DebugLevel))
	}
	pid, console, wait, err := e.run(p, io, c.Start)
	if err != nil {
		_ = c.Destroy()
		return 0, nil, nil, err
	}
	trace("init started")
	return pid, console, wait, nil
}

// run starts p with start (Container.Start for init, Container.Run for
// exec) wired to io, and receives the pty master for a tty process.
func (e *libctExecutor) run(p *libcontainer.Process, io procIO, start func(*libcontainer.Process) error) (int, *os.File, waitFunc, error) {
	var parent *os.File
	if io.Tty {
		var child *os.File
		var err error
		parent, child, err = socketPair("console")
		if err != nil {
			return 0, nil, nil, err
		}
		defer parent.Close()
		defer child.Close()
		p.ConsoleSocket = child
		p.ConsoleHeight, p.ConsoleWidth = io.Height, io.Width
	} else {
		// *os.File stdio is passed straight to the process, no copying
		// goroutines inside libcontainer.
		if io.Stdin != nil {
			p.Stdin = io.Stdin
		}
		p.Stdout, p.Stderr = io.Stdout, io.Stderr
	}
	if err := start(p); err != nil {
		return 0, nil, nil, err
	}
	var console *os.File
	if io.Tty {
		var err error
		if console, err = recvFile(parent); err != nil {
			_ = p.Signal(unix.SIGKILL)
			_, _ = p.Wait()
			return 0, nil, nil, fmt.Errorf("receiving pty master: %w", err)
		}
	}
	pid, err := p.Pid()
	if err != nil {
		return 0, nil, nil, err
	}
	return pid, console, func() (*os.ProcessState, error) {
		awaitExit(pid)
		return p.Wait()
	}, nil
}

// awaitExit blocks until the child pid has exited, through the poller:
// a plain wait parks one OS thread per container for the container's whole
// life, which a monitor of many containers cannot afford. The pid is our
// unreaped child, so it cannot be reused meanwhile. Without pidfd support
// it returns at once and the caller's wait blocks as before.
func awaitExit(pid int) {
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		return
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	// A pidfd polls readable once the process exited. Ask the fd itself
	// each time instead of trusting the poller's first wake-up: RawRead
	// resets the poller's readiness before calling us, so an exit that
	// the poller saw between NewFile and here would otherwise be lost and
	// this would wait forever (a pidfd becomes readable only once).
	_ = rc.Read(func(fd uintptr) bool {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(pfd, 0)
		// On error the caller's blocking wait takes over.
		return err != nil || n > 0
	})
}

func (e *libctExecutor) Start() error { return e.c.Exec() }

func (e *libctExecutor) Exec(_ string, sp *specs.Process, io procIO) (int, *os.File, waitFunc, error) {
	p, err := newProcess(sp)
	if err != nil {
		return 0, nil, nil, err
	}
	return e.run(p, io, e.c.Run)
}

func (e *libctExecutor) Kill(sig syscall.Signal, all bool) error {
	if !all {
		return e.c.Signal(sig)
	}
	pids, err := e.c.Processes()
	if err != nil {
		return err
	}
	for _, pid := range pids {
		_ = unix.Kill(pid, sig)
	}
	return nil
}

func (e *libctExecutor) Pause() error  { return e.c.Pause() }
func (e *libctExecutor) Resume() error { return e.c.Resume() }

func (e *libctExecutor) Update(r *specs.LinuxResources) error {
	if r == nil {
		return errors.New("no resources given")
	}
	// Convert through specconv so every field means what it means at
	// create time; devices rules stay as they are.
	spec := *e.spec
	lin := *spec.Linux
	lin.Resources = r
	spec.Linux = &lin
	cg, err := specconv.CreateCgroupConfig(&specconv.CreateOpts{CgroupName: e.id, Spec: &spec}, nil)
	if err != nil {
		return err
	}
	cfg := e.c.Config()
	devs := cfg.Cgroups.Resources.Devices
	res := *cg.Resources
	res.Devices = devs
	cfg.Cgroups.Resources = &res
	return e.c.Set(cfg)
}

func (e *libctExecutor) Pids() ([]int, error) { return e.c.Processes() }

func (e *libctExecutor) Destroy() error {
	if e.c == nil {
		return nil
	}
	return e.c.Destroy()
}

// newProcess converts an OCI process into a libcontainer one (as runc's
// newProcess does).
func newProcess(p *specs.Process) (*libcontainer.Process, error) {
	if p == nil {
		return nil, errors.New("spec has no process")
	}
	nnp := p.NoNewPrivileges
	lp := &libcontainer.Process{
		Args:            p.Args,
		Env:             p.Env,
		UID:             int(p.User.UID),
		GID:             int(p.User.GID),
		Cwd:             p.Cwd,
		Label:           p.SelinuxLabel,
		NoNewPrivileges: &nnp,
		AppArmorProfile: p.ApparmorProfile,
		Scheduler:       p.Scheduler,
		IOPriority:      p.IOPriority,
	}
	if p.ConsoleSize != nil {
		lp.ConsoleWidth = uint16(p.ConsoleSize.Width)
		lp.ConsoleHeight = uint16(p.ConsoleSize.Height)
	}
	if c := p.Capabilities; c != nil {
		lp.Capabilities = &configs.Capabilities{
			Bounding: c.Bounding, Effective: c.Effective, Inheritable: c.Inheritable,
			Permitted: c.Permitted, Ambient: c.Ambient,
		}
	}
	for _, g := range p.User.AdditionalGids {
		lp.AdditionalGroups = append(lp.AdditionalGroups, int(g))
	}
	for _, rl := range p.Rlimits {
		t, ok := rlimits[rl.Type]
		if !ok {
			return nil, fmt.Errorf("wrong rlimit value: %s", rl.Type)
		}
		lp.Rlimits = append(lp.Rlimits, configs.Rlimit{Type: t, Hard: rl.Hard, Soft: rl.Soft})
	}
	return lp, nil
}

var rlimits = map[string]int{
	"RLIMIT_CPU": unix.RLIMIT_CPU, "RLIMIT_FSIZE": unix.RLIMIT_FSIZE,
	"RLIMIT_DATA": unix.RLIMIT_DATA, "RLIMIT_STACK": unix.RLIMIT_STACK,
	"RLIMIT_CORE": unix.RLIMIT_CORE, "RLIMIT_RSS": unix.RLIMIT_RSS,
	"RLIMIT_NPROC": unix.RLIMIT_NPROC, "RLIMIT_NOFILE": unix.RLIMIT_NOFILE,
	"RLIMIT_MEMLOCK": unix.RLIMIT_MEMLOCK, "RLIMIT_AS": unix.RLIMIT_AS,
	"RLIMIT_LOCKS": unix.RLIMIT_LOCKS, "RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING,
	"RLIMIT_MSGQUEUE": unix.RLIMIT_MSGQUEUE, "RLIMIT_NICE": unix.RLIMIT_NICE,
	"RLIMIT_RTPRIO": unix.RLIMIT_RTPRIO, "RLIMIT_RTTIME": unix.RLIMIT_RTTIME,
}
