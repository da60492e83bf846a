package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/berth-project/berth/container"
	"github.com/berth-project/berth/shim/client"
	containertypes "github.com/moby/moby/api/types/container"
)

// scheduleRestart applies the restart policy to an exit just recorded
// (c locked, run resources released). When the policy says so the
// container goes to "restarting" and starts again after the back-off;
// the caller then skips --rm (the two never combine).
func (s *Service) scheduleRestart(c *container.Container, status client.ExitStatus) bool {
	if s.stopping.Load() {
		// A daemon shutdown is not a reason to restart, nor a manual stop:
		// always/unless-stopped containers come back with the next daemon.
		return false
	}
	ran := status.ExitedAt.Sub(c.State.StartedAt)
	ok, wait, err := c.RestartManager().ShouldRestart(status.ExitCode, c.HasBeenManuallyStopped, ran)
	if err != nil || !ok {
		return false
	}
	c.RestartCount++
	c.State.Status = containertypes.StateRestarting
	go s.restartAfter(c, wait)
	return true
}

// restartAfter starts c again once the back-off has passed, unless the
// restart was cancelled (stop, kill, rm, shutdown) meanwhile.
func (s *Service) restartAfter(c *container.Container, wait <-chan error) {
	err := <-wait
	c.Lock()
	defer c.Unlock()
	if c.State.Status != containertypes.StateRestarting {
		return
	}
	if err == nil && (c.Removed || c.State.Removing || s.stopping.Load()) {
		err = container.ErrRestartCanceled
	}
	if err == nil {
		if err = s.start(context.Background(), c); err != nil {
			fmt.Fprintf(os.Stderr, "restart %s: %v\n", c.ShortID(), err)
			c.State.Error = err.Error()
			c.State.ExitCode = startErrorExitCode(err)
		}
	}
	if err != nil {
		c.State.Status = containertypes.StateExited
		_ = s.store.Save(c)
		c.Notify()
	}
}

// stopRestarting ends a pending restart of a container in "restarting"
// (stop or rm of it) and waits until it has settled as exited.
func (s *Service) stopRestarting(ctx context.Context, c *container.Container) {
	c.Lock()
	c.CancelRestart()
	c.Unlock()
	for {
		c.Lock()
		if c.State.Status != containertypes.StateRestarting {
			c.Unlock()
			return
		}
		ch := c.Changed()
		c.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// markManualStop records a stop or kill by the user: unless-stopped then
// stays down across daemon restarts, and (for a kill with the stop signal
// or SIGKILL, as Docker) the next exit does not restart. Called with c
// locked.
func (s *Service) markManualStop(c *container.Container, cancel bool) {
	if s.stopping.Load() {
		return
	}
	c.HasBeenManuallyStopped = true
	if cancel {
		c.CancelRestart()
	}
	_ = s.store.Save(c)
}

// restartPolicyContainers starts, after a daemon restart, the stopped
// containers their policy brings back (Docker's restore: only containers
// that ran before; always ignores a manual stop, unless-stopped does
// not). Starts run in parallel; errors are logged.
func (s *Service) restartPolicyContainers(ctx context.Context) {
	var wg sync.WaitGroup
	for _, c := range s.store.List() {
		c.Lock()
		if c.State.Status == containertypes.StateRestarting {
			// The daemon died during a back-off.
			c.State.Status = containertypes.StateExited
		}
		want := !c.IsRunning() && c.HasBeenStarted && !c.State.Removing &&
			container.Restarts(c.HostConfig.RestartPolicy, c.State.ExitCode, c.HasBeenManuallyStopped, c.RestartCount)
		c.Unlock()
		if !want {
			continue
		}
		wg.Add(1)
		go func(c *container.Container) {
			defer wg.Done()
			if err := s.ContainerStart(context.WithoutCancel(ctx), c.ID); err != nil && !errors.Is(err, context.Canceled) {
				fmt.Fprintf(os.Stderr, "restart policy %s: %v\n", c.ShortID(), err)
			}
		}(c)
	}
	wg.Wait()
}
