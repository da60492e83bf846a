package swarm

import (
	"context"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/berth-project/berth/internal/errdefs"
	gogotypes "github.com/gogo/protobuf/types"
	networktypes "github.com/moby/moby/api/types/network"
	"github.com/moby/swarmkit/v2/api"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The cluster's networks: `network create -d overlay` on a manager lands
// here (the daemon forwards it), as dockerd hands it to its cluster.

func (c *Cluster) getNetwork(ctx context.Context, cc api.ControlClient, ref string) (*api.Network, error) {
	return lookup(ctx, "network", ref,
		func(id string) (*api.Network, error) {
			r, err := cc.GetNetwork(ctx, &api.GetNetworkRequest{NetworkID: id})
			if err != nil {
				return nil, err
			}
			return r.Network, nil
		},
		func(names, prefixes []string) ([]*api.Network, error) {
			r, err := cc.ListNetworks(ctx, &api.ListNetworksRequest{Filters: &api.ListNetworksRequest_Filters{Names: names, IDPrefixes: prefixes}})
			if err != nil {
				return nil, grpcErr(err)
			}
			if names != nil {
				var exact []*api.Network
				for _, n := range r.Networks {
					if n.Spec.Annotations.Name == names[0] {
						exact = append(exact, n)
					}
				}
				return exact, nil
			}
			return r.Networks, nil
		},
		func(n *api.Network) string { return n.ID })
}

// GetNetworks lists the cluster's networks.
func (c *Cluster) GetNetworks(ctx context.Context) ([]networktypes.Inspect, error) {
	cc, err := c.manager()
	if err != nil {
		return nil, err
	}
	r, err := cc.ListNetworks(ctx, &api.ListNetworksRequest{})
	if err != nil {
		return nil, grpcErr(err)
	}
	out := make([]networktypes.Inspect, 0, len(r.Networks))
	for _, n := range r.Networks {
		if _, ok := n.Spec.Annotations.Labels["com.docker.swarm.predefined"]; ok {
			continue
		}
		out = append(out, networkFromGRPC(n))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// GetNetwork finds one cluster network by ID, name or ID prefix.
func (c *Cluster) GetNetwork(ctx context.Context, ref string) (networktypes.Inspect, error) {
	cc, err := c.manager()
	if err != nil {
		return networktypes.Inspect{}, err
	}
	n, err := c.getNetwork(ctx, cc, ref)
	if err != nil {
		return networktypes.Inspect{}, err
	}
	return networkFromGRPC(n), nil
}

// CreateNetwork creates a cluster network (driver overlay).
func (c *Cluster) CreateNetwork(ctx context.Context, req networktypes.CreateRequest) (string, error) {
	cc, err := c.manager()
	if err != nil {
		return "", err
	}
	if req.Driver == "" {
		req.Driver = "overlay"
	}
	if req.Driver != "overlay" {
		return "", errdefs.InvalidParameter("network driver %q is not supported in swarm scope: use overlay", req.Driver)
	}
	if _, ok := req.Options["encrypted"]; ok {
		return "", errdefs.NotImplemented("encrypted overlay networks are not implemented (IPsec ESP: this kernel lacks CONFIG_INET_ESP)")
	}
	if _, err := c.getNetwork(ctx, cc, req.Name); err == nil {
		return "", errdefs.Conflict("network with name %s already exists", req.Name)
	}
	spec := &api.NetworkSpec{
		Annotations:  api.Annotations{Name: req.Name, Labels: req.Labels},
		DriverConfig: &api.Driver{Name: req.Driver, Options: req.Options},
		Internal:     req.Internal,
		Attachable:   req.Attachable,
		Ingress:      req.Ingress,
	}
	if req.EnableIPv6 != nil {
		spec.Ipv6Enabled = *req.EnableIPv6
	}
	if req.IPAM != nil {
		spec.IPAM = &api.IPAMOptions{Driver: &api.Driver{Name: req.IPAM.Driver, Options: req.IPAM.Options}}
		for _, ic := range req.IPAM.Config {
			cfg := &api.IPAMConfig{Family: api.IPAMConfig_IPV4}
			if ic.Subnet.IsValid() {
				cfg.Subnet = ic.Subnet.String()
				if ic.Subnet.Addr().Is6() {
					cfg.Family = api.IPAMConfig_IPV6
				}
			}
			if ic.IPRange.IsValid() {
				cfg.Range = ic.IPRange.String()
			}
			if ic.Gateway.IsValid() {
				cfg.Gateway = ic.Gateway.String()
			}
			spec.IPAM.Configs = append(spec.IPAM.Configs, cfg)
		}
	}
	r, err := cc.CreateNetwork(ctx, &api.CreateNetworkRequest{Spec: spec})
	if err != nil {
		return "", grpcErr(err)
	}
	return r.Network.ID, nil
}

// RemoveNetwork removes a cluster network no service uses.
func (c *Cluster) RemoveNetwork(ctx context.Context, ref string) error {
	cc, err := c.manager()
	if err != nil {
		return err
	}
	n, err := c.getNetwork(ctx, cc, ref)
	if err != nil {
		return err
	}
	// Right after `stack rm` removes the services, their tasks still name the
	// network until the orchestrator marks them for removal, a few hundred ms
	// later; no service uses the network any more (that is checked first), so
	// waiting briefly makes the removal succeed instead of failing on a race.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := cc.RemoveNetwork(ctx, &api.RemoveNetworkRequest{NetworkID: n.ID})
		if err == nil {
			return nil
		}
		if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "in use by task") || time.Now().After(deadline) {
			return grpcErr(err)
		}
		select {
		case <-ctx.Done():
			return grpcErr(err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// resolveNetworks turns the networks a service names into cluster network
// IDs, with dockerd's errors for unknown and node-local networks.
func (c *Cluster) resolveNetworks(ctx context.Context, cc api.ControlClient, s *api.ServiceSpec) error {
	fix := func(nets []*api.NetworkAttachmentConfig) error {
		for _, na := range nets {
			n, err := c.getNetwork(ctx, cc, na.Target)
			if err != nil {
				if errdefs.IsNotFound(err) {
					switch na.Target {
					case "bridge", "host", "none", "default":
						return errdefs.InvalidParameter("The network %s cannot be used with services. Only networks scoped to the swarm can be used, such as those created with the overlay driver.", na.Target)
					}
					return errdefs.NotFound("network %s not found", na.Target)
				}
				return err
			}
			na.Target = n.ID
		}
		return nil
	}
	if s.Task.Networks != nil {
		if err := fix(s.Task.Networks); err != nil {
			return err
		}
	}
	return fix(s.Networks)
}

func networkFromGRPC(n *api.Network) networktypes.Inspect {
	out := networktypes.Inspect{Network: networktypes.Network{
		ID: n.ID, Name: n.Spec.Annotations.Name, Scope: "swarm", Driver: "overlay",
		EnableIPv4: true, EnableIPv6: n.Spec.Ipv6Enabled, Internal: n.Spec.Internal, Attachable: n.Spec.Attachable,
		Ingress: n.Spec.Ingress, Labels: n.Spec.Annotations.Labels, Options: map[string]string{},
		IPAM: networktypes.IPAM{Driver: "default", Options: map[string]string{}, Config: []networktypes.IPAMConfig{}},
	}, Containers: map[string]networktypes.EndpointResource{}}
	if t, err := gogotypes.TimestampFromProto(n.Meta.CreatedAt); err == nil {
		out.Created = t
	}
	if n.DriverState != nil {
		out.Driver = n.DriverState.Name
		for k, v := range n.DriverState.Options {
			out.Options[k] = v
		}
	} else if n.Spec.DriverConfig != nil && n.Spec.DriverConfig.Name != "" {
		out.Driver = n.Spec.DriverConfig.Name
	}
	ipam := n.IPAM
	if ipam == nil {
		ipam = n.Spec.IPAM
	}
	if ipam != nil {
		if ipam.Driver != nil && ipam.Driver.Name != "" {
			out.IPAM.Driver = ipam.Driver.Name
		}
		for _, c := range ipam.Configs {
			var ic networktypes.IPAMConfig
			ic.Subnet, _ = netip.ParsePrefix(c.Subnet)
			ic.IPRange, _ = netip.ParsePrefix(c.Range)
			ic.Gateway, _ = netip.ParseAddr(c.Gateway)
			out.IPAM.Config = append(out.IPAM.Config, ic)
		}
	}
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	return out
}

func vipAddr(s string) netip.Addr {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		a, _ := netip.ParseAddr(strings.TrimSpace(s))
		return a
	}
	return p.Addr()
}
