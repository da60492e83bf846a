package container

import (
	"errors"
	"testing"
	"time"

	containertypes "github.com/moby/moby/api/types/container"
)

func TestRestarts(t *testing.T) {
	pol := func(name string, max int) containertypes.RestartPolicy {
		return containertypes.RestartPolicy{Name: containertypes.RestartPolicyMode(name), MaximumRetryCount: max}
	}
	tests := []struct {
		name     string
		p        containertypes.RestartPolicy
		code     int
		manual   bool
		count    int
		restarts bool
	}{
		{"none", pol("", 0), 1, false, 0, false},
		{"no", pol("no", 0), 1, false, 0, false},
		{"always ok exit", pol("always", 0), 0, false, 5, true},
		{"always manual", pol("always", 0), 0, true, 0, true},
		{"unless-stopped", pol("unless-stopped", 0), 0, false, 0, true},
		{"unless-stopped manual", pol("unless-stopped", 0), 137, true, 0, false},
		{"on-failure success", pol("on-failure", 0), 0, false, 0, false},
		{"on-failure fail", pol("on-failure", 0), 1, false, 100, true},
		{"on-failure under max", pol("on-failure", 3), 1, false, 2, true},
		{"on-failure at max", pol("on-failure", 3), 1, false, 3, false},
	}
	for _, tt := range tests {
		if got := Restarts(tt.p, tt.code, tt.manual, tt.count); got != tt.restarts {
			t.Errorf("%s: Restarts = %v, want %v", tt.name, got, tt.restarts)
		}
	}
}

func TestRestartManagerBackoff(t *testing.T) {
	rm := NewRestartManager(containertypes.RestartPolicy{Name: "always"}, 0)
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}
	for i, w := range want {
		ok, ch, err := rm.ShouldRestart(1, false, time.Millisecond)
		if !ok || err != nil {
			t.Fatalf("restart %d: ok=%v err=%v", i, ok, err)
		}
		if got := rm.Timeout(); got != w {
			t.Fatalf("restart %d: timeout %v, want %v", i, got, w)
		}
		if _, _, err := rm.ShouldRestart(1, false, 0); err == nil {
			t.Fatalf("restart %d: a second call while a restart is pending must fail", i)
		}
		start := time.Now()
		if err := <-ch; err != nil {
			t.Fatalf("restart %d: wait: %v", i, err)
		}
		if el := time.Since(start); el < w/2 {
			t.Fatalf("restart %d: waited %v, want about %v", i, el, w)
		}
	}
	// A run of 10 s resets the back-off.
	if ok, ch, _ := rm.ShouldRestart(1, false, 10*time.Second); !ok || rm.Timeout() != 100*time.Millisecond {
		t.Fatalf("after a long run: ok=%v timeout=%v", ok, rm.Timeout())
	} else {
		<-ch
	}
	// The delay is capped at a minute.
	rm.timeout = 50 * time.Second
	rm.ShouldRestart(1, false, 0)
	if rm.Timeout() != time.Minute {
		t.Fatalf("cap: %v", rm.Timeout())
	}
}

func TestRestartManagerCancel(t *testing.T) {
	rm := NewRestartManager(containertypes.RestartPolicy{Name: "on-failure", MaximumRetryCount: 2}, 1)
	ok, ch, err := rm.ShouldRestart(3, false, 0)
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	rm.Cancel()
	if err := <-ch; !errors.Is(err, ErrRestartCanceled) {
		t.Fatalf("wait after cancel: %v", err)
	}
	if _, _, err := rm.ShouldRestart(3, false, 0); !errors.Is(err, ErrRestartCanceled) {
		t.Fatalf("after cancel: %v", err)
	}
	// The count carried in from the record bounds on-failure:N.
	rm = NewRestartManager(containertypes.RestartPolicy{Name: "on-failure", MaximumRetryCount: 2}, 2)
	if ok, _, _ := rm.ShouldRestart(1, false, 0); ok {
		t.Fatal("on-failure:2 restarted a third time")
	}
}
