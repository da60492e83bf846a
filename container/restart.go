package container

import (
	"errors"
	"sync"
	"time"

	containertypes "github.com/moby/moby/api/types/container"
)

// Docker's restart back-off: the first restart waits 100 ms, each next one
// twice as long up to a minute; a run of 10 s or more resets it. This is
// what keeps a container that exits at once under "always" from spinning
// the CPU.
const (
	restartBackoffStart = 100 * time.Millisecond
	restartBackoffMax   = time.Minute
	restartResetAfter   = 10 * time.Second
)

// ErrRestartCanceled is returned by a pending restart's wait when a
// manual stop, kill, removal or daemon shutdown cancelled it.
var ErrRestartCanceled = errors.New("restart canceled")

// RestartManager decides, at each exit, whether a container restarts
// and after which delay (moby's restartmanager rules). It lives in memory
// next to the record; the count it starts from is the record's
// RestartCount.
type RestartManager struct {
	mu       sync.Mutex
	policy   containertypes.RestartPolicy
	count    int
	timeout  time.Duration
	active   bool
	canceled bool
	cancel   chan struct{}
}

// NewRestartManager starts a manager for policy with count restarts
// already done.
func NewRestartManager(policy containertypes.RestartPolicy, count int) *RestartManager {
	return &RestartManager{policy: policy, count: count, cancel: make(chan struct{})}
}

// SetPolicy replaces the policy (docker update --restart).
func (rm *RestartManager) SetPolicy(p containertypes.RestartPolicy) {
	rm.mu.Lock()
	rm.policy = p
	rm.mu.Unlock()
}

// Timeout is the delay the last positive ShouldRestart chose.
func (rm *RestartManager) Timeout() time.Duration {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	return rm.timeout
}

// ShouldRestart applies the policy to an exit. When it says yes, the
// returned channel is closed after the back-off delay, or receives
// ErrRestartCanceled if Cancel comes first.
func (rm *RestartManager) ShouldRestart(exitCode int, manuallyStopped bool, ran time.Duration) (bool, <-chan error, error) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if isNoPolicy(rm.policy) {
		return false, nil, nil
	}
	if rm.canceled {
		return false, nil, ErrRestartCanceled
	}
	if rm.active {
		return false, nil, errors.New("invalid call on an active restart manager")
	}
	if ran >= restartResetAfter {
		rm.timeout = 0
	}
	switch {
	case rm.timeout == 0:
		rm.timeout = restartBackoffStart
	case rm.timeout < restartBackoffMax:
		rm.timeout *= 2
	}
	rm.timeout = min(rm.timeout, restartBackoffMax)
	if !Restarts(rm.policy, exitCode, manuallyStopped, rm.count) {
		return false, nil, nil
	}
	rm.count++
	rm.active = true
	ch := make(chan error, 1)
	delay := rm.timeout
	go func() {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-rm.cancel:
			ch <- ErrRestartCanceled
		case <-t.C:
			rm.mu.Lock()
			rm.active = false
			rm.mu.Unlock()
		}
		close(ch)
	}()
	return true, ch, nil
}

// Cancel ends any pending restart and refuses later ones (a manual stop;
// the next manual start makes a new manager).
func (rm *RestartManager) Cancel() {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if !rm.canceled {
		rm.canceled = true
		close(rm.cancel)
	}
}

// Restarts is the policy decision alone: Docker's rules for an exit with
// count restarts done. It also decides, at daemon start, which stopped
// containers come back.
func Restarts(p containertypes.RestartPolicy, exitCode int, manuallyStopped bool, count int) bool {
	switch p.Name {
	case containertypes.RestartPolicyAlways:
		return true
	case containertypes.RestartPolicyUnlessStopped:
		return !manuallyStopped
	case containertypes.RestartPolicyOnFailure:
		if max := p.MaximumRetryCount; max == 0 || count < max {
			return exitCode != 0
		}
	}
	return false
}

func isNoPolicy(p containertypes.RestartPolicy) bool {
	return p.Name == "" || p.Name == containertypes.RestartPolicyDisabled
}

// RestartManager returns the container's manager, making one from the
// policy and count on first use. Call with the lock held.
func (c *Container) RestartManager() *RestartManager {
	if c.restart == nil {
		c.restart = NewRestartManager(c.HostConfig.RestartPolicy, c.RestartCount)
	}
	return c.restart
}

// ResetRestartManager cancels the current manager (and a pending restart)
// so the next exit is judged afresh; a manual start also zeroes the
// count, as Docker does. Call with the lock held.
func (c *Container) ResetRestartManager(resetCount bool) {
	if c.restart != nil {
		c.restart.Cancel()
	}
	c.restart = nil
	if resetCount {
		c.RestartCount = 0
	}
}

// CancelRestart cancels a pending restart without dropping the manager,
// so a restart already decided does not happen. Call with the lock held.
func (c *Container) CancelRestart() {
	if c.restart != nil {
		c.restart.Cancel()
	}
}
