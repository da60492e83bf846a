package lifecycle

import (
	"context"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/berth-project/berth/container"
	"github.com/berth-project/berth/internal/errdefs"
	containertypes "github.com/moby/moby/api/types/container"
)

// signals maps names accepted by `docker kill -s` / --stop-signal.
var signals = map[string]syscall.Signal{
	"ABRT": syscall.SIGABRT, "ALRM": syscall.SIGALRM, "BUS": syscall.SIGBUS, "CHLD": syscall.SIGCHLD,
	"CONT": syscall.SIGCONT, "FPE": syscall.SIGFPE, "HUP": syscall.SIGHUP, "ILL": syscall.SIGILL,
	"INT": syscall.SIGINT, "IO": syscall.SIGIO, "IOT": syscall.SIGIOT, "KILL": syscall.SIGKILL,
	"PIPE": syscall.SIGPIPE, "PROF": syscall.SIGPROF, "PWR": syscall.SIGPWR, "QUIT": syscall.SIGQUIT,
	"SEGV": syscall.SIGSEGV, "STKFLT": syscall.SIGSTKFLT, "STOP": syscall.SIGSTOP, "SYS": syscall.SIGSYS,
	"TERM": syscall.SIGTERM, "TRAP": syscall.SIGTRAP, "TSTP": syscall.SIGTSTP, "TTIN": syscall.SIGTTIN,
	"TTOU": syscall.SIGTTOU, "URG": syscall.SIGURG, "USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2,
	"VTALRM": syscall.SIGVTALRM, "WINCH": syscall.SIGWINCH, "XCPU": syscall.SIGXCPU, "XFSZ": syscall.SIGXFSZ,
}

// ParseSignal accepts "KILL", "SIGKILL", "9" and "SIGRTMIN+3".
func ParseSignal(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return 0, errdefs.InvalidParameter("Invalid signal: %s", s)
		}
		return syscall.Signal(n), nil
	}
	name := strings.TrimPrefix(strings.ToUpper(s), "SIG")
	if sig, ok := signals[name]; ok {
		return sig, nil
	}
	if rest, ok := strings.CutPrefix(name, "RTMIN+"); ok {
		if n, err := strconv.Atoi(rest); err == nil && n >= 0 && n <= 30 {
			return syscall.Signal(34 + n), nil
		}
	}
	if rest, ok := strings.CutPrefix(name, "RTMAX-"); ok {
		if n, err := strconv.Atoi(rest); err == nil && n >= 0 && n <= 30 {
			return syscall.Signal(64 - n), nil
		}
	}
	return 0, errdefs.InvalidParameter("Invalid signal: %s", s)
}

func stopSignal(c *container.Container) syscall.Signal {
	if c.Config.StopSignal != "" {
		if sig, err := ParseSignal(c.Config.StopSignal); err == nil {
			return sig
		}
	}
	return syscall.SIGTERM
}

// ContainerStop implements POST /containers/{id}/stop.
func (s *Service) ContainerStop(ctx context.Context, name, signal string, timeout *int) error {
	// A client that gives up (or a request that is cancelled) must not
	// turn a graceful stop into a SIGKILL: dockerd detaches the stop from
	// the request for the same reason.
	ctx = context.WithoutCancel(ctx)
	c, err := s.get(name)
	if err != nil {
		return err
	}
	c.Lock()
	if c.State.Status == containertypes.StateRestarting {
		s.markManualStop(c, true)
		c.Unlock()
		s.stopRestarting(ctx, c)
		s.logEvent(c, "stop", nil)
		return nil
	}
	if !c.IsRunning() {
		c.Unlock()
		return errdefs.NotModified("container already stopped")
	}
	s.markManualStop(c, true)
	sig := stopSignal(c)
	if signal != "" {
		if sig, err = ParseSignal(signal); err != nil {
			c.Unlock()
			return err
		}
	}
	wait := 10
	if c.Config.StopTimeout != nil {
		wait = *c.Config.StopTimeout
	}
	if timeout != nil {
		wait = *timeout
	}
	c.Unlock()
	return s.stop(ctx, c, sig, wait)
}

// stop signals, waits up to wait seconds (negative: forever) and kills.
func (s *Service) stop(ctx context.Context, c *container.Container, sig syscall.Signal, wait int) error {
	sh := s.shim(c.ID)
	if sh == nil {
		return nil
	}
	c.Lock()
	paused := c.State.Status == containertypes.StatePaused
	c.Unlock()
	// With no grace period the SIGKILL follows at once: waiting for a
	// handler of the first signal (up to a second after start) would
	// only delay it (compose down -t 0 right after up took 1 s a container).
	if wait != 0 {
		awaitSignalReady(c, sig)
	}
	s.logEvent(c, "kill", map[string]string{"signal": strconv.Itoa(int(sig))})
	_ = sh.Kill(ctx, sig, false)
	if paused { // a frozen process cannot handle the signal until thawed
		_ = sh.Resume(ctx)
	}
	if wait != 0 {
		var deadline <-chan time.Time
		if wait > 0 {
			deadline = time.After(time.Duration(wait) * time.Second)
		}
		if s.waitStopped(ctx, c, deadline) {
			s.logEvent(c, "stop", nil)
			return nil
		}
	}
	s.logEvent(c, "kill", map[string]string{"signal": "9"})
	if err := sh.Kill(ctx, syscall.SIGKILL, true); err != nil {
		// The shim answers "not running" once init has exited, a moment
		// before the daemon has recorded the exit: that is a stop done.
		if !s.waitStopped(ctx, c, time.After(5*time.Second)) {
			return err
		}
	}
	s.waitStopped(ctx, c, nil)
	s.logEvent(c, "stop", nil)
	return nil
}

func (s *Service) isRunning(c *container.Container) bool {
	c.Lock()
	defer c.Unlock()
	return c.IsRunning()
}

// waitStopped waits until the container is no longer running; false on
// deadline.
func (s *Service) waitStopped(ctx context.Context, c *container.Container, deadline <-chan time.Time) bool {
	for {
		c.Lock()
		if !c.IsRunning() {
			c.Unlock()
			return true
		}
		ch := c.Changed()
		c.Unlock()
		select {
		case <-ch:
		case <-deadline:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// ContainerKill implements POST /containers/{id}/kill.
func (s *Service) ContainerKill(ctx context.Context, name, signal string) error {
	c, err := s.get(name)
	if err != nil {
		return err
	}
	sig := syscall.SIGKILL
	if signal != "" {
		if sig, err = ParseSignal(signal); err != nil {
			return err
		}
	}
	c.Lock()
	running := c.IsRunning()
	if c.State.Status == containertypes.StateRestarting {
		c.Unlock()
		return errdefs.Conflict("cannot kill container: %s: container %s is restarting, wait until the container is running", name, c.ID)
	}
	if running {
		s.markManualStop(c, sig == syscall.SIGKILL || sig == stopSignal(c))
	}
	c.Unlock()
	sh := s.shim(c.ID)
	if !running || sh == nil {
		return errdefs.Conflict("cannot kill container: %s: container %s is not running", name, c.ID)
	}
	awaitSignalReady(c, sig)
	s.logEvent(c, "kill", map[string]string{"signal": strconv.Itoa(int(sig))})
	if err := sh.Kill(ctx, sig, false); err != nil {
		return err
	}
	if sig == syscall.SIGKILL {
		s.waitStopped(ctx, c, time.After(10*time.Second))
	}
	return nil
}

// ContainerRestart implements POST /containers/{id}/restart.
func (s *Service) ContainerRestart(ctx context.Context, name, signal string, timeout *int) error {
	c, err := s.get(name)
	if err != nil {
		return err
	}
	if err := s.ContainerStop(ctx, c.ID, signal, timeout); err != nil && !errdefs.IsNotModified(err) {
		return err
	}
	if err := s.ContainerStart(ctx, c.ID); err != nil && !errdefs.IsNotModified(err) {
		return err
	}
	c.Lock()
	c.RestartCount = 0
	c.Unlock()
	s.logEvent(c, "restart", nil)
	return nil
}

// ContainerPause implements POST /containers/{id}/pause.
func (s *Service) ContainerPause(ctx context.Context, name string) error {
	c, err := s.get(name)
	if err != nil {
		return err
	}
	c.Lock()
	defer c.Unlock()
	if !c.IsRunning() {
		return errdefs.Conflict("container %s is not running", c.ID)
	}
	if c.State.Status == containertypes.StatePaused {
		return errdefs.Conflict("container %s is already paused", c.ID)
	}
	sh := s.shim(c.ID)
	if sh == nil {
		return errdefs.Conflict("container %s is not running", c.ID)
	}
	if err := sh.Pause(ctx); err != nil {
		return err
	}
	c.State.Status = containertypes.StatePaused
	_ = s.store.Save(c)
	c.Notify()
	s.logEvent(c, "pause", nil)
	return nil
}

// ContainerUnpause implements POST /containers/{id}/unpause.
func (s *Service) ContainerUnpause(ctx context.Context, name string) error {
	c, err := s.get(name)
	if err != nil {
		return err
	}
	c.Lock()
	defer c.Unlock()
	if c.State.Status != containertypes.StatePaused {
		return errdefs.Conflict("container %s is not paused", c.ID)
	}
	sh := s.shim(c.ID)
	if sh == nil {
		return errdefs.Conflict("container %s is not running", c.ID)
	}
	if err := sh.Resume(ctx); err != nil {
		return err
	}
	c.State.Status = containertypes.StateRunning
	_ = s.store.Save(c)
	c.Notify()
	s.logEvent(c, "unpause", nil)
	return nil
}
