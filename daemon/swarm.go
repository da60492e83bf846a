package daemon

import (
	"context"
	"io"
	"path/filepath"

	containerrouter "github.com/berth-project/berth/apiserver/router/container"
	imagerouter "github.com/berth-project/berth/apiserver/router/image"
	"github.com/berth-project/berth/internal/filters"
	"github.com/berth-project/berth/logger"
	"github.com/berth-project/berth/swarm"
	"github.com/berth-project/berth/swarm/executor"
	swarmtypes "github.com/moby/moby/api/types/swarm"
)

// swarmImages lets the executor find and pull service images.
type swarmImages struct{ d *Daemon }

func (s swarmImages) Exists(ref string) bool {
	_, err := s.d.images.Resolve(ref)
	return err == nil
}

func (s swarmImages) PullImage(ctx context.Context, req imagerouter.PullRequest, out io.Writer) error {
	return s.d.dist.PullImage(ctx, req, out)
}

func (d *Daemon) newCluster(ctx context.Context) (*swarm.Cluster, error) {
	return swarm.New(ctx, swarm.Config{
		Root:   filepath.Join(d.cfg.DataRoot, "swarm"),
		RunDir: filepath.Join(d.cfg.ExecRoot, "swarm"),
		Logger: d.log,
		Executor: executor.Config{
			Containers:    d.lifecycle,
			Images:        swarmImages{d},
			EngineVersion: Version,
			Plugins: map[string][]string{
				"Network": {"bridge", "host", "ipvlan", "macvlan", "null", "overlay"},
				"Volume":  {"local"},
				"Log":     logger.Names(),
			},
		},
		RemoveTaskContainers: d.removeTaskContainers,
	})
}

// removeTaskContainers deletes every container a swarm task made (leave).
func (d *Daemon) removeTaskContainers(ctx context.Context) error {
	list, err := d.lifecycle.ContainerList(ctx, containerrouter.ListOptions{All: true, Filters: filters.NewArgs([2]string{"label", executor.LabelTask})})
	if err != nil {
		return err
	}
	for _, c := range list {
		if err := d.lifecycle.ContainerRemove(ctx, c.ID, containerrouter.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			d.log.Warn("swarm leave: remove task container", "id", c.ID, "err", err)
		}
	}
	return nil
}

// SwarmPingStatus is the Swarm header of /_ping.
func (d *Daemon) SwarmPingStatus() string {
	if d.cluster == nil {
		return "inactive"
	}
	state, manager := d.cluster.Status()
	switch state {
	case swarmtypes.LocalNodeStateActive:
		if manager {
			return "active/manager"
		}
		return "active/worker"
	case swarmtypes.LocalNodeStateInactive:
		return "inactive"
	}
	return string(state)
}
