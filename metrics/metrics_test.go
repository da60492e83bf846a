package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

type fakeSource struct{}

func (fakeSource) ContainerStates() map[string]int { return map[string]int{"running": 2, "stopped": 5} }
func (fakeSource) ImageCount() int                 { return 3 }

func TestScrape(t *testing.T) {
	m := New(fakeSource{}, Info{Version: "0.1.0", OSType: "linux", MemTotal: 1 << 30})
	m.ObserveAction("start", time.Now().Add(-50*time.Millisecond))
	m.Event()
	m.HealthCheck(true)
	m.HealthCheck(false)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	val := func(name string, labels map[string]string) float64 {
		f, ok := fams[name]
		if !ok {
			t.Fatalf("no %s", name)
		}
		for _, mt := range f.Metric {
			match := true
			for _, lp := range mt.Label {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					match = false
				}
			}
			if !match {
				continue
			}
			switch {
			case mt.Gauge != nil:
				return mt.Gauge.GetValue()
			case mt.Counter != nil:
				return mt.Counter.GetValue()
			case mt.Histogram != nil:
				return float64(mt.Histogram.GetSampleCount())
			}
		}
		t.Fatalf("%s%v not found", name, labels)
		return 0
	}
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"engine_daemon_container_states_containers", map[string]string{"state": "running"}, 2},
		{"engine_daemon_container_states_containers", map[string]string{"state": "stopped"}, 5},
		{"engine_daemon_container_states_containers", map[string]string{"state": "paused"}, 0},
		{"engine_daemon_container_actions_seconds", map[string]string{"action": "start"}, 1},
		{"engine_daemon_container_actions_seconds", map[string]string{"action": "create"}, 0},
		{"engine_daemon_events_total", nil, 1},
		{"engine_daemon_health_checks_total", nil, 2},
		{"engine_daemon_health_checks_failed_total", nil, 1},
		{"engine_daemon_images", nil, 3},
		{"engine_daemon_engine_info", map[string]string{"version": "0.1.0"}, 1},
		{"engine_daemon_engine_memory_bytes", nil, 1 << 30},
	}
	for _, c := range checks {
		if got := val(c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if _, ok := fams["go_goroutines"]; !ok {
		t.Error("no Go runtime metrics")
	}
}
