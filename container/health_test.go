package container

import (
	"reflect"
	"testing"
	"time"

	containertypes "github.com/moby/moby/api/types/container"
)

func TestProbeArgv(t *testing.T) {
	tests := []struct {
		test  []string
		shell []string
		argv  []string
		ok    bool
	}{
		{[]string{"CMD", "true"}, nil, []string{"true"}, true},
		{[]string{"CMD-SHELL", "exit 1"}, nil, []string{"/bin/sh", "-c", "exit 1"}, true},
		{[]string{"CMD-SHELL", "x"}, []string{"/bin/bash", "-ec"}, []string{"/bin/bash", "-ec", "x"}, true},
		{[]string{"NONE"}, nil, nil, false},
		{nil, nil, nil, false},
		{[]string{"CMD"}, nil, nil, false},
		{[]string{"BOGUS", "x"}, nil, nil, false},
	}
	for _, tt := range tests {
		argv, ok := ProbeArgv(&containertypes.HealthConfig{Test: tt.test}, tt.shell)
		if ok != tt.ok || !reflect.DeepEqual(argv, tt.argv) {
			t.Errorf("%v: %v %v, want %v %v", tt.test, argv, ok, tt.argv, tt.ok)
		}
	}
}

func TestApplyProbe(t *testing.T) {
	start := time.Now()
	res := func(code int, after time.Duration) *containertypes.HealthcheckResult {
		return &containertypes.HealthcheckResult{ExitCode: code, Start: start.Add(after)}
	}
	type step struct {
		r       *containertypes.HealthcheckResult
		status  containertypes.HealthStatus
		streak  int
		changed bool
	}
	tests := []struct {
		name  string
		hc    containertypes.HealthConfig
		steps []step
	}{
		{"healthy then unhealthy after retries", containertypes.HealthConfig{Retries: 2}, []step{
			{res(0, time.Second), "healthy", 0, true},
			{res(1, 2*time.Second), "healthy", 1, false},
			{res(1, 3*time.Second), "unhealthy", 2, true},
			{res(0, 4*time.Second), "healthy", 0, true},
		}},
		{"default retries 3", containertypes.HealthConfig{}, []step{
			{res(1, 0), "starting", 1, false},
			{res(2, 0), "starting", 2, false},
			{res(-1, 0), "unhealthy", 3, true},
		}},
		{"start period hides failures", containertypes.HealthConfig{Retries: 1, StartPeriod: 10 * time.Second}, []step{
			{res(1, time.Second), "starting", 0, false},
			{res(1, 5*time.Second), "starting", 0, false},
			{res(1, 11*time.Second), "unhealthy", 1, true},
		}},
	}
	for _, tt := range tests {
		h := NewHealth()
		for i, s := range tt.steps {
			changed := ApplyProbe(h, &tt.hc, start, s.r)
			if h.Status != s.status || h.FailingStreak != s.streak || changed != s.changed {
				t.Fatalf("%s step %d: %s/%d/%v, want %s/%d/%v", tt.name, i, h.Status, h.FailingStreak, changed, s.status, s.streak, s.changed)
			}
		}
	}
	// The log keeps the last five results.
	h := NewHealth()
	for i := 0; i < 8; i++ {
		ApplyProbe(h, &containertypes.HealthConfig{}, start, res(0, time.Duration(i)))
	}
	if len(h.Log) != MaxHealthLog || h.Log[0].Start != start.Add(3) {
		t.Fatalf("log: %d entries, first %v", len(h.Log), h.Log[0].Start.Sub(start))
	}
}

func TestNextProbe(t *testing.T) {
	hc := &containertypes.HealthConfig{Interval: 10 * time.Second, StartPeriod: 30 * time.Second, StartInterval: time.Second}
	if d := NextProbe(hc, "starting", 5*time.Second); d != time.Second {
		t.Errorf("starting in period: %v", d)
	}
	if d := NextProbe(hc, "healthy", 5*time.Second); d != 10*time.Second {
		t.Errorf("healthy in period: %v", d)
	}
	if d := NextProbe(hc, "starting", 31*time.Second); d != 10*time.Second {
		t.Errorf("after period: %v", d)
	}
	if d := NextProbe(&containertypes.HealthConfig{}, "starting", 0); d != DefaultProbeInterval {
		t.Errorf("defaults: %v", d)
	}
}
