package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"time"

	imagerouter "github.com/berth-project/berth/apiserver/router/image"
	"github.com/berth-project/berth/internal/filters"
	"github.com/berth-project/berth/metrics"
)

// metricsSource reads the scrape-time gauges from the daemon's services.
type metricsSource struct{ d *Daemon }

func (m metricsSource) ContainerStates() map[string]int {
	if m.d.lifecycle == nil {
		return nil
	}
	return m.d.lifecycle.ContainerStates()
}

func (m metricsSource) ImageCount() int {
	if m.d.images == nil {
		return 0
	}
	imgs, err := m.d.images.Images(context.Background(), imagerouter.ListOptions{All: true, Filters: filters.NewArgs()})
	if err != nil {
		return 0
	}
	return len(imgs)
}

func newMetrics(d *Daemon) *metrics.Metrics {
	return metrics.New(metricsSource{d}, metrics.Info{
		Version: Version, Kernel: kernelVersion(), OS: osName(), OSType: runtime.GOOS,
		Arch: archName(), DaemonID: "berth", GraphDriver: "overlay2", MemTotal: memTotal(),
	})
}

// serveMetrics listens on metrics-addr (Docker serves /metrics there);
// nothing when it is not set.
func (d *Daemon) serveMetrics(errCh chan<- error) (func(), error) {
	if d.cfg.MetricsAddr == "" {
		return func() {}, nil
	}
	l, err := net.Listen("tcp", d.cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("metrics-addr %s: %w", d.cfg.MetricsAddr, err)
	}
	srv := &http.Server{Handler: d.metrics.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errCh <- err
		}
	}()
	d.log.Info("metrics listening", "addr", l.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
