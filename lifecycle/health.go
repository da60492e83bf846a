package lifecycle

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/berth-project/berth/container"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/shim/client"
	containertypes "github.com/moby/moby/api/types/container"
	eventtypes "github.com/moby/moby/api/types/events"
)

// startHealth begins probing a container that just started (c locked):
// status back to "starting", the log kept, as Docker's initHealthMonitor.
func (s *Service) startHealth(c *container.Container, sh *client.Shim) {
	if !container.HasHealthcheck(c.Config.Healthcheck) {
		return
	}
	if c.State.Health == nil {
		c.State.Health = container.NewHealth()
	}
	c.State.Health.Status = containertypes.Starting
	c.State.Health.FailingStreak = 0
	stop := make(chan struct{})
	s.mu.Lock()
	if old := s.probes[c.ID]; old != nil {
		close(old)
	}
	s.probes[c.ID] = stop
	s.mu.Unlock()
	go s.healthMonitor(c, sh, stop, c.State.StartedAt)
}

// stopHealth ends the probes of a container that stopped (c locked); the
// status becomes unhealthy, as Docker reports a container whose monitor
// stopped.
func (s *Service) stopHealth(c *container.Container) {
	s.mu.Lock()
	stop := s.probes[c.ID]
	delete(s.probes, c.ID)
	s.mu.Unlock()
	if stop != nil {
		close(stop)
		if c.State.Health != nil {
			c.State.Health.Status = containertypes.Unhealthy
		}
	}
}

func (s *Service) healthMonitor(c *container.Container, sh *client.Shim, stop <-chan struct{}, started time.Time) {
	c.Lock()
	hc := *c.Config.Healthcheck
	status := c.State.Health.Status
	c.Unlock()
	timer := time.NewTimer(container.NextProbe(&hc, status, time.Since(started)))
	defer timer.Stop()
	for {
		select {
		case <-stop:
			return
		case <-timer.C:
		}
		res := s.probe(c, sh, &hc, stop)
		if s.cfg.HealthChecked != nil {
			s.cfg.HealthChecked(res.ExitCode != 0)
		}
		c.Lock()
		select {
		case <-stop: // stopped while probing: the result no longer counts
			c.Unlock()
			return
		default:
		}
		changed := container.ApplyProbe(c.State.Health, &hc, started, res)
		status = c.State.Health.Status
		_ = s.store.Save(c)
		if changed {
			s.logEvent(c, eventtypes.Action("health_status: "+string(status)), nil)
		}
		c.Unlock()
		timer.Reset(container.NextProbe(&hc, status, time.Since(started)))
	}
}

// probe runs the check once as an exec in the container, with Docker's
// events, timeout and output limit.
func (s *Service) probe(c *container.Container, sh *client.Shim, hc *containertypes.HealthConfig, stop <-chan struct{}) *containertypes.HealthcheckResult {
	start := time.Now()
	failed := func(msg string) *containertypes.HealthcheckResult {
		return &containertypes.HealthcheckResult{Start: start, End: time.Now(), ExitCode: -1, Output: msg}
	}
	c.Lock()
	argv, ok := container.ProbeArgv(hc, c.Config.Shell)
	c.Unlock()
	if !ok {
		return failed(fmt.Sprintf("unknown health check type %q", strings.Join(hc.Test, " ")))
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	e := &execConfig{id: hex.EncodeToString(b), containerID: c.ID, req: containertypes.ExecCreateRequest{Cmd: argv}}
	proc, err := s.execProcess(c.ID, e)
	if err != nil {
		return failed(err.Error())
	}
	s.logEvent(c, eventAction("exec_create", argv), map[string]string{"execID": e.id})
	out := &limitedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pid, wait, err := sh.Exec(ctx, e.id, proc, client.ExecOptions{Stdout: out, Stderr: out})
	if err != nil {
		return failed(err.Error())
	}
	s.logEvent(c, eventAction("exec_start", argv), map[string]string{"execID": e.id})
	done := make(chan struct{})
	var code int
	go func() {
		code, err = wait()
		close(done)
	}()
	timeout := container.ProbeTimeout(hc)
	select {
	case <-done:
	case <-time.After(timeout):
		// Kill the probe and wait for it so slow probes do not pile up.
		_ = syscall.Kill(pid, syscall.SIGKILL)
		<-done
		s.logEvent(c, "exec_die", map[string]string{"execID": e.id, "exitCode": "137"})
		return &containertypes.HealthcheckResult{Start: start, End: time.Now(), ExitCode: -1,
			Output: fmt.Sprintf("Health check exceeded timeout (%v)", timeout)}
	case <-stop:
		_ = syscall.Kill(pid, syscall.SIGKILL)
		<-done
		return failed("health check stopped")
	}
	if err != nil {
		return failed(err.Error())
	}
	s.logEvent(c, "exec_die", map[string]string{"execID": e.id, "exitCode": itoa(code)})
	return &containertypes.HealthcheckResult{Start: start, End: time.Now(), ExitCode: code, Output: out.String()}
}

// limitedBuffer keeps the first MaxProbeOutput bytes of a probe's output.
type limitedBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := container.MaxProbeOutput - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// mergeHealthcheck applies the image's HEALTHCHECK under the user's
// settings, field by field, as Docker's config merge does.
func mergeHealthcheck(user, img *containertypes.HealthConfig) *containertypes.HealthConfig {
	if img == nil {
		return user
	}
	if user == nil {
		hc := *img
		return &hc
	}
	hc := *user
	if len(hc.Test) == 0 {
		hc.Test = img.Test
	}
	if hc.Interval == 0 {
		hc.Interval = img.Interval
	}
	if hc.Timeout == 0 {
		hc.Timeout = img.Timeout
	}
	if hc.StartPeriod == 0 {
		hc.StartPeriod = img.StartPeriod
	}
	if hc.StartInterval == 0 {
		hc.StartInterval = img.StartInterval
	}
	if hc.Retries == 0 {
		hc.Retries = img.Retries
	}
	return &hc
}

// validateHealthcheck gives Docker's create-time errors.
func validateHealthcheck(hc *containertypes.HealthConfig) error {
	if hc == nil {
		return nil
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"Interval", hc.Interval}, {"Timeout", hc.Timeout}, {"StartPeriod", hc.StartPeriod}, {"StartInterval", hc.StartInterval}} {
		if d.v != 0 && d.v < containertypes.MinimumDuration {
			return errdefs.InvalidParameter("%s in Healthcheck cannot be less than %s", d.name, containertypes.MinimumDuration)
		}
	}
	if hc.Retries < 0 {
		return errdefs.InvalidParameter("Retries in Healthcheck cannot be negative")
	}
	return nil
}

// healthStatus is the ps filter's view: "none" without a check.
func healthStatus(c *container.Container) string {
	if c.State.Health == nil {
		return string(containertypes.NoHealthcheck)
	}
	return string(c.State.Health.Status)
}

// copyHealth snapshots the health state for inspect.
func copyHealth(h *containertypes.Health) *containertypes.Health {
	if h == nil {
		return nil
	}
	out := *h
	out.Log = append([]*containertypes.HealthcheckResult{}, h.Log...)
	return &out
}
