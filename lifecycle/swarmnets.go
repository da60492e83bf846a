package lifecycle

import (
	"context"

	"github.com/berth-project/berth/container"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
	"github.com/berth-project/berth/network"
	networktypes "github.com/moby/moby/api/types/network"
)

// SwarmNetworks are the cluster's networks, which a manager lists and
// changes alongside its own (as dockerd merges its cluster's). The daemon
// sets it; nil outside swarm mode.
type SwarmNetworks interface {
	// List is nil, nil when this node is not a manager.
	List(ctx context.Context) ([]networktypes.Inspect, error)
	Get(ctx context.Context, idOrName string) (networktypes.Inspect, error)
	Create(ctx context.Context, req networktypes.CreateRequest) (networktypes.CreateResponse, error)
	Remove(ctx context.Context, idOrName string) error
}

// SetSwarmNetworks wires the cluster's networks in.
func (s *Service) SetSwarmNetworks(sn SwarmNetworks) { s.swarmNets = sn }

// swarmScoped: requests for the cluster (`-d overlay`, `--scope swarm`).
func swarmScoped(req networktypes.CreateRequest) bool {
	return req.Driver == "overlay" || req.Scope == "swarm"
}

func (s *Service) createSwarmNetwork(ctx context.Context, req networktypes.CreateRequest) (networktypes.CreateResponse, error) {
	if s.swarmNets == nil {
		return networktypes.CreateResponse{}, errdefs.Unavailable("This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.")
	}
	return s.swarmNets.Create(ctx, req)
}

// appendSwarmNetworks adds the cluster networks this node has no local
// copy of.
func (s *Service) appendSwarmNetworks(ctx context.Context, out []networktypes.Summary, f filters.Args) []networktypes.Summary {
	if s.swarmNets == nil {
		return out
	}
	nets, err := s.swarmNets.List(ctx)
	if err != nil {
		return out
	}
	have := map[string]bool{}
	for _, n := range out {
		have[n.ID] = true
	}
	for _, n := range nets {
		if have[n.ID] {
			continue
		}
		stub := &network.Network{ID: n.ID, Name: n.Name, Driver: n.Driver, Scope: n.Scope, Labels: n.Labels}
		if !matchNetwork(stub, f) {
			continue
		}
		out = append(out, networktypes.Summary{Network: n.Network})
	}
	return out
}

func (s *Service) inspectSwarmNetwork(ctx context.Context, idOrName, scope string, local error) (networktypes.Inspect, error) {
	if s.swarmNets == nil || !errdefs.IsNotFound(local) {
		return networktypes.Inspect{}, local
	}
	n, err := s.swarmNets.Get(ctx, idOrName)
	if err != nil {
		return networktypes.Inspect{}, local
	}
	if scope != "" && scope != n.Scope {
		return networktypes.Inspect{}, local
	}
	return n, nil
}

// swarmOnly says so when a network a container names is the cluster's and
// not (yet) on this node: standalone containers on swarm networks
// (attachable overlays) need the cluster's attachment, not implemented.
func (s *Service) swarmOnly(ref string, err error) error {
	if s.swarmNets == nil || !errdefs.IsNotFound(err) {
		return err
	}
	if _, serr := s.swarmNets.Get(context.Background(), ref); serr != nil {
		return err
	}
	return errdefs.NotImplemented("network %s is a swarm network: attaching containers outside services to swarm networks is not implemented", ref)
}

// taskOnly keeps other containers off this node's copy of a swarm network:
// its addresses are the cluster's to give, to tasks.
func taskOnly(c *container.Container, n *network.Network) error {
	if n.Scope != "swarm" || c.Config.Labels["com.docker.swarm.task.id"] != "" {
		return nil
	}
	return errdefs.NotImplemented("network %s is a swarm network: attaching containers outside services to swarm networks is not implemented", n.Name)
}
