package lifecycle

import (
	"context"
	"time"

	"github.com/berth-project/berth/container"
	containertypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/storage"
)

// ContainerInspect implements GET /containers/{id}/json.
func (s *Service) ContainerInspect(ctx context.Context, name string, size bool) (*containertypes.InspectResponse, error) {
	c, err := s.get(name)
	if err != nil {
		return nil, err
	}
	var rw, rootfs int64
	if size {
		rw, rootfs = s.sizes(c)
	}
	c.Lock()
	defer c.Unlock()
	st := c.State
	resp := &containertypes.InspectResponse{
		ID:      c.ID,
		Created: c.Created.Format(time.RFC3339Nano),
		Path:    c.Path,
		Args:    nonNil(c.Args),
		State: &containertypes.State{
			Status:     displayStatus(c),
			Running:    c.IsRunning() || st.Status == containertypes.StateRestarting,
			Paused:     st.Status == containertypes.StatePaused,
			Restarting: st.Status == containertypes.StateRestarting,
			OOMKilled:  st.OOMKilled,
			Dead:       st.Status == containertypes.StateDead,
			Pid:        st.Pid,
			ExitCode:   st.ExitCode,
			Error:      st.Error,
			StartedAt:  timeOrZero(st.StartedAt),
			FinishedAt: timeOrZero(st.FinishedAt),
			Health:     copyHealth(st.Health),
		},
		Image:           c.ImageID,
		ResolvConfPath:  c.ResolvConfPath,
		HostnamePath:    c.HostnamePath,
		HostsPath:       c.HostsPath,
		LogPath:         c.LogPath,
		Name:            c.Name,
		RestartCount:    c.RestartCount,
		Driver:          "overlay2",
		Platform:        "linux",
		HostConfig:      c.HostConfig,
		Config:          c.Config,
		Mounts:          apiMounts(c),
		ExecIDs:         s.execIDs(c.ID),
		GraphDriver:     &storage.DriverData{Name: "overlay2", Data: s.graphData(c.ID)},
		NetworkSettings: networkSettings(c, s.netnsPath(c.ID)),
	}
	if size {
		resp.SizeRw = &rw
		resp.SizeRootFs = &rootfs
	}
	return resp, nil
}

func (s *Service) graphData(id string) map[string]string {
	return map[string]string{
		"MergedDir": s.layersPath("rw", id, "merged"),
		"UpperDir":  s.layersPath("rw", id, "upper"),
		"WorkDir":   s.layersPath("rw", id, "work"),
	}
}

func displayStatus(c *container.Container) containertypes.ContainerState {
	if c.State.Removing {
		return containertypes.StateRemoving
	}
	if c.State.Status == "" {
		return containertypes.StateCreated
	}
	return c.State.Status
}

func timeOrZero(t time.Time) string {
	if t.IsZero() {
		return "0001-01-01T00:00:00Z"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// networkSettings renders the container's networks like Docker's inspect:
// every configured network, with addresses while it runs.
func networkSettings(c *container.Container, sandboxKey string) *containertypes.NetworkSettings {
	ns := &containertypes.NetworkSettings{Ports: network.PortMap{}, Networks: endpointsView(c)}
	mode := parseNetMode(c.HostConfig.NetworkMode)
	if mode.kind != modeContainer && len(ns.Networks) == 0 {
		// Records made before networks were normalised at create.
		ns.Networks[mode.ref] = &network.EndpointSettings{}
	}
	switch {
	case len(c.Endpoints) > 0:
		ns.SandboxID = c.ID
		ns.SandboxKey = sandboxKey
		if c.Ports != nil {
			ns.Ports = c.Ports
		}
	case mode.ownsNetNS():
		// Not running: Docker still lists configured (unbound) ports.
		for p := range c.HostConfig.PortBindings {
			ns.Ports[p] = nil
		}
	}
	return ns
}

// sizes returns the rw layer size and the total (image + rw) size.
func (s *Service) sizes(c *container.Container) (int64, int64) {
	rw, _ := s.layers.RWSize(c.ID)
	var img int64
	if id, err := parseDigest(c.ImageID); err == nil {
		img, _ = s.images.Size(id)
	}
	return rw, rw + img
}
