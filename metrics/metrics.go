// Package metrics serves the daemon's Prometheus metrics with Docker's
// engine metric names (engine_daemon_*): container states, container
// actions and their durations, events, health checks and engine info,
// plus the image count and the Go runtime and process collectors.
package metrics

import (
	"net/http"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Source answers the gauges read at scrape time.
type Source interface {
	// ContainerStates counts containers by Docker's metric states:
	// "running", "paused", "stopped".
	ContainerStates() map[string]int
	ImageCount() int
}

// Info labels engine_daemon_engine_info.
type Info struct {
	Version, Commit, Kernel, OS, OSType, OSVersion, Arch, DaemonID, GraphDriver string
	MemTotal                                                                    int64
}

// Metrics holds the collectors; the zero value is not usable, use New.
type Metrics struct {
	reg          *prometheus.Registry
	actions      *prometheus.HistogramVec
	events       prometheus.Counter
	healthChecks prometheus.Counter
	healthFailed prometheus.Counter
}

// New registers every collector.
func New(src Source, info Info) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		actions: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "engine", Subsystem: "daemon", Name: "container_actions_seconds",
			Help: "The number of seconds it takes to process each container action",
		}, []string{"action"}),
		events: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "engine", Subsystem: "daemon", Name: "events_total", Help: "The number of events logged",
		}),
		healthChecks: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "engine", Subsystem: "daemon", Name: "health_checks_total", Help: "The total number of health checks",
		}),
		healthFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "engine", Subsystem: "daemon", Name: "health_checks_failed_total", Help: "The total number of failed health checks",
		}),
	}
	engineInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "engine", Subsystem: "daemon", Name: "engine_info",
		Help: "The information related to the engine and the OS it is running on",
		ConstLabels: prometheus.Labels{"version": info.Version, "commit": info.Commit, "architecture": info.Arch,
			"graphdriver": info.GraphDriver, "kernel": info.Kernel, "os": info.OS, "os_type": info.OSType,
			"os_version": info.OSVersion, "daemon_id": info.DaemonID},
	})
	engineInfo.Set(1)
	cpus := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "engine", Subsystem: "daemon", Name: "engine_cpus_cpus", Help: "The number of cpus that the host system of the engine has"})
	cpus.Set(float64(runtime.NumCPU()))
	mem := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "engine", Subsystem: "daemon", Name: "engine_memory_bytes", Help: "The number of bytes of memory that the host system of the engine has"})
	mem.Set(float64(info.MemTotal))
	// Docker's actions, present from the start so dashboards see them.
	for _, a := range []string{"changes", "commit", "create", "delete", "start"} {
		m.actions.WithLabelValues(a)
	}
	reg.MustRegister(m.actions, m.events, m.healthChecks, m.healthFailed, engineInfo, cpus, mem,
		&states{src: src}, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "engine", Subsystem: "daemon", Name: "images", Help: "The number of images in the image store",
		}, func() float64 { return float64(src.ImageCount()) }),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveAction records how long a container action took.
func (m *Metrics) ObserveAction(action string, since time.Time) {
	m.actions.WithLabelValues(action).Observe(time.Since(since).Seconds())
}

// Event counts one logged event.
func (m *Metrics) Event() { m.events.Inc() }

// HealthCheck counts one probe.
func (m *Metrics) HealthCheck(failed bool) {
	m.healthChecks.Inc()
	if failed {
		m.healthFailed.Inc()
	}
}

// Handler serves the text exposition format on /metrics.
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	return mux
}

var statesDesc = prometheus.NewDesc("engine_daemon_container_states_containers", "The count of containers in various states", []string{"state"}, nil)

// states reads container counts at scrape time.
type states struct{ src Source }

func (s *states) Describe(ch chan<- *prometheus.Desc) { ch <- statesDesc }

func (s *states) Collect(ch chan<- prometheus.Metric) {
	counts := s.src.ContainerStates()
	for _, st := range []string{"paused", "running", "stopped"} {
		ch <- prometheus.MustNewConstMetric(statesDesc, prometheus.GaugeValue, float64(counts[st]), st)
	}
}
