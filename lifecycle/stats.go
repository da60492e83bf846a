package lifecycle

import (
	"context"
	"path/filepath"
	"time"

	containerrouter "github.com/berth-project/berth/apiserver/router/container"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/stats"
	containertypes "github.com/moby/moby/api/types/container"
)

// Docker's collector samples every second; a non-streamed request that
// wants CPU percentages (precpu filled) needs two samples, and a quarter
// of a second between them is enough for the delta while answering
// `stats --no-stream` for many containers quickly.
const (
	statsInterval   = time.Second
	statsPairWindow = 250 * time.Millisecond
)

// ContainerStats implements GET /containers/{id}/stats: one sample
// (one-shot: without precpu), a pair folded into one, or a stream of
// samples each second until the client leaves or the container stops.
func (s *Service) ContainerStats(ctx context.Context, name string, opts containerrouter.StatsOptions, emit func(*containertypes.StatsResponse) error) error {
	c, err := s.get(name)
	if err != nil {
		return err
	}
	// Docker 29 no longer refuses stream=true&one-shot=true: the stream wins.
	opts.OneShot = opts.OneShot && !opts.Stream
	c.Lock()
	running := c.IsRunning()
	src := stats.Source{Rel: filepath.Join(s.cfg.CgroupParent, c.ID), Pid: c.State.Pid, HostNetwork: isHostNetwork(c.HostConfig)}
	id, cname := c.ID, c.Name
	c.Unlock()
	if !running {
		// Docker: an empty sample for a stopped container, nothing at
		// all on a stream until it runs.
		if !opts.Stream {
			return emit(&containertypes.StatsResponse{ID: id, Name: cname})
		}
		_ = emit(nil)
		<-ctx.Done()
		return nil
	}
	sample := func(prev *containertypes.StatsResponse) (*containertypes.StatsResponse, error) {
		st, err := stats.Collect(src)
		if err != nil {
			return nil, errdefs.Conflict("container %s: %v", id, err)
		}
		st.ID, st.Name = id, cname
		if prev != nil {
			st.PreRead, st.PreCPUStats = prev.Read, prev.CPUStats
		}
		st.NumProcs = 0
		return st, nil
	}
	first, err := sample(nil)
	if err != nil {
		return err
	}
	if opts.OneShot {
		return emit(first)
	}
	if !opts.Stream {
		select {
		case <-time.After(statsPairWindow):
		case <-ctx.Done():
			return nil
		}
		st, err := sample(first)
		if err != nil {
			return err
		}
		return emit(st)
	}
	if err := emit(first); err != nil {
		return nil
	}
	prev := first
	tick := time.NewTicker(statsInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if !s.isRunning(c) {
			return nil
		}
		st, err := sample(prev)
		if err != nil {
			return nil // stopped between the check and the read
		}
		if err := emit(st); err != nil {
			return nil
		}
		prev = st
	}
}
