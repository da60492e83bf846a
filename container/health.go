package container

import (
	"time"

	containertypes "github.com/moby/moby/api/types/container"
)

// Docker's health-check defaults and limits (daemon/health.go).
const (
	DefaultProbeInterval      = 30 * time.Second
	DefaultProbeTimeout       = 30 * time.Second
	DefaultProbeStartInterval = 5 * time.Second
	DefaultProbeRetries       = 3
	// MaxHealthLog is how many probe results inspect keeps.
	MaxHealthLog = 5
	// MaxProbeOutput bounds the output kept per probe.
	MaxProbeOutput = 4096
)

// HasHealthcheck reports whether hc configures a probe ("NONE" and an
// empty test disable it).
func HasHealthcheck(hc *containertypes.HealthConfig) bool {
	return hc != nil && len(hc.Test) > 0 && hc.Test[0] != "NONE"
}

// ProbeArgv is the command a probe execs: CMD runs its arguments,
// CMD-SHELL its string under the container's shell (default /bin/sh -c).
// ok is false for a test Docker would not run.
func ProbeArgv(hc *containertypes.HealthConfig, shell []string) ([]string, bool) {
	if !HasHealthcheck(hc) || len(hc.Test) < 2 {
		return nil, false
	}
	switch hc.Test[0] {
	case "CMD":
		return hc.Test[1:], true
	case "CMD-SHELL":
		if len(shell) == 0 {
			shell = []string{"/bin/sh", "-c"}
		}
		return append(append([]string{}, shell...), hc.Test[1]), true
	}
	return nil, false
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// ProbeTimeout is the time a probe may take before it counts as failed.
func ProbeTimeout(hc *containertypes.HealthConfig) time.Duration {
	return orDefault(hc.Timeout, DefaultProbeTimeout)
}

// NextProbe is the delay before the next probe: the start interval while
// the container is still starting inside its start period, the interval
// otherwise.
func NextProbe(hc *containertypes.HealthConfig, status containertypes.HealthStatus, sinceStart time.Duration) time.Duration {
	interval := orDefault(hc.Interval, DefaultProbeInterval)
	if sinceStart >= hc.StartPeriod || status != containertypes.Starting {
		return interval
	}
	return orDefault(hc.StartInterval, DefaultProbeStartInterval)
}

// NewHealth is the state of a container with a health check before its
// first probe.
func NewHealth() *containertypes.Health {
	return &containertypes.Health{Status: containertypes.Starting, Log: []*containertypes.HealthcheckResult{}}
}

// ApplyProbe folds one probe result into h with Docker's rules: success
// makes it healthy; failures count toward retries (not while starting
// inside the start period) and make it unhealthy at the limit. It returns
// whether the status changed (a health_status event).
func ApplyProbe(h *containertypes.Health, hc *containertypes.HealthConfig, startedAt time.Time, r *containertypes.HealthcheckResult) bool {
	old := h.Status
	if len(h.Log) >= MaxHealthLog {
		h.Log = append(h.Log[len(h.Log)+1-MaxHealthLog:], r)
	} else {
		h.Log = append(h.Log, r)
	}
	retries := hc.Retries
	if retries <= 0 {
		retries = DefaultProbeRetries
	}
	if r.ExitCode == 0 {
		h.FailingStreak = 0
		h.Status = containertypes.Healthy
		return old != h.Status
	}
	if h.Status == containertypes.Starting && r.Start.Sub(startedAt) < hc.StartPeriod {
		return false
	}
	h.FailingStreak++
	if h.FailingStreak >= retries {
		h.Status = containertypes.Unhealthy
	}
	return old != h.Status
}

// HealthString is the health part of ps's status ("health: starting",
// "healthy", "unhealthy").
func HealthString(h *containertypes.Health) string {
	if h.Status == containertypes.Starting {
		return "health: starting"
	}
	return string(h.Status)
}
