package convert

import (
	"net/netip"
	"strings"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/network"
	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"
)

func endpointSpecFromGRPC(es *swarmapi.EndpointSpec) *types.EndpointSpec {
	if es == nil {
		return nil
	}
	out := &types.EndpointSpec{Mode: types.ResolutionMode(lowerEnum(es.Mode))}
	out.Ports = portsFromGRPC(es.Ports)
	return out
}

// endpointSpecToGRPC keeps dockerd's leniency on ports: an unknown
// protocol or publish mode becomes tcp or ingress (the enums' zero
// values) rather than an error; only the resolution mode is checked.
func endpointSpecToGRPC(es *types.EndpointSpec) (*swarmapi.EndpointSpec, error) {
	if es == nil {
		return nil, nil
	}
	if es.Mode != "" && es.Mode != types.ResolutionModeVIP && es.Mode != types.ResolutionModeDNSRR {
		return nil, errdefs.InvalidParameter("invalid resolution mode: %q", es.Mode)
	}
	out := &swarmapi.EndpointSpec{
		Mode: swarmapi.EndpointSpec_ResolutionMode(swarmapi.EndpointSpec_ResolutionMode_value[strings.ToUpper(string(es.Mode))]),
	}
	for _, p := range es.Ports {
		out.Ports = append(out.Ports, &swarmapi.PortConfig{
			Name:          p.Name,
			Protocol:      swarmapi.PortConfig_Protocol(swarmapi.PortConfig_Protocol_value[strings.ToUpper(string(p.Protocol))]),
			PublishMode:   swarmapi.PortConfig_PublishMode(swarmapi.PortConfig_PublishMode_value[strings.ToUpper(string(p.PublishMode))]),
			TargetPort:    p.TargetPort,
			PublishedPort: p.PublishedPort,
		})
	}
	return out, nil
}

func portsFromGRPC(in []*swarmapi.PortConfig) []types.PortConfig {
	var out []types.PortConfig
	for _, p := range in {
		out = append(out, types.PortConfig{
			Name:          p.Name,
			Protocol:      network.IPProtocol(strings.ToLower(swarmapi.PortConfig_Protocol_name[int32(p.Protocol)])),
			PublishMode:   types.PortConfigPublishMode(strings.ToLower(swarmapi.PortConfig_PublishMode_name[int32(p.PublishMode)])),
			TargetPort:    p.TargetPort,
			PublishedPort: p.PublishedPort,
		})
	}
	return out
}

func endpointFromGRPC(e *swarmapi.Endpoint) types.Endpoint {
	var out types.Endpoint
	if e == nil {
		return out
	}
	if es := endpointSpecFromGRPC(e.Spec); es != nil {
		out.Spec = *es
	}
	out.Ports = portsFromGRPC(e.Ports)
	for _, v := range e.VirtualIPs {
		// swarmkit stores the VIP as a CIDR string ("10.0.0.2/24").
		pfx, _ := netip.ParsePrefix(v.Addr)
		out.VirtualIPs = append(out.VirtualIPs, types.EndpointVirtualIP{NetworkID: v.NetworkID, Addr: pfx})
	}
	return out
}

func networkConfigsFromGRPC(in []*swarmapi.NetworkAttachmentConfig) []types.NetworkAttachmentConfig {
	var out []types.NetworkAttachmentConfig
	for _, n := range in {
		out = append(out, types.NetworkAttachmentConfig{Target: n.Target, Aliases: n.Aliases, DriverOpts: n.DriverAttachmentOpts})
	}
	return out
}

func networkConfigsToGRPC(in []types.NetworkAttachmentConfig) []*swarmapi.NetworkAttachmentConfig {
	var out []*swarmapi.NetworkAttachmentConfig
	for _, n := range in {
		out = append(out, &swarmapi.NetworkAttachmentConfig{Target: n.Target, Aliases: n.Aliases, DriverAttachmentOpts: n.DriverOpts})
	}
	return out
}

// networkAttachmentFromGRPC is a task's view of one network: the network
// object as GET /tasks shows it and the task's addresses on it.
func networkAttachmentFromGRPC(na *swarmapi.NetworkAttachment) types.NetworkAttachment {
	if na == nil {
		return types.NetworkAttachment{}
	}
	out := types.NetworkAttachment{Network: networkFromGRPC(na.Network)}
	for _, a := range na.Addresses {
		pfx, _ := netip.ParsePrefix(a)
		out.Addresses = append(out.Addresses, pfx)
	}
	return out
}

func networkFromGRPC(n *swarmapi.Network) types.Network {
	if n == nil {
		return types.Network{}
	}
	out := types.Network{
		ID:   n.ID,
		Meta: metaFromGRPC(n.Meta),
		Spec: types.NetworkSpec{
			Annotations:         annotationsFromGRPC(n.Spec.Annotations),
			DriverConfiguration: driverFromGRPC(n.Spec.DriverConfig),
			IPv6Enabled:         n.Spec.Ipv6Enabled,
			Internal:            n.Spec.Internal,
			Attachable:          n.Spec.Attachable,
			Ingress:             IsIngressNetwork(n),
			IPAMOptions:         ipamFromGRPC(n.Spec.IPAM),
			Scope:               "swarm",
		},
		IPAMOptions: ipamFromGRPC(n.IPAM),
	}
	if from := n.Spec.GetNetwork(); from != "" {
		out.Spec.ConfigFrom = &network.ConfigReference{Network: from}
	}
	if n.DriverState != nil {
		out.DriverState = types.Driver{Name: n.DriverState.Name, Options: n.DriverState.Options}
	}
	return out
}

// IsIngressNetwork reports whether n is the routing-mesh network, also in
// its pre-1.13 form (an "ingress" network with the internal label).
func IsIngressNetwork(n *swarmapi.Network) bool {
	if n == nil {
		return false
	}
	if n.Spec.Ingress {
		return true
	}
	_, internal := n.Spec.Annotations.Labels["com.docker.swarm.internal"]
	return internal && n.Spec.Annotations.Name == "ingress"
}

func ipamFromGRPC(i *swarmapi.IPAMOptions) *types.IPAMOptions {
	if i == nil {
		return nil
	}
	out := &types.IPAMOptions{}
	if i.Driver != nil {
		out.Driver = types.Driver{Name: i.Driver.Name, Options: i.Driver.Options}
	}
	for _, c := range i.Configs {
		// Values went through the raft store already: too late to reject
		// them, parse what can be parsed.
		subnet, _ := parseCIDR(c.Subnet)
		rng, _ := parseCIDR(c.Range)
		gw, _ := netip.ParseAddr(c.Gateway)
		out.Configs = append(out.Configs, types.IPAMConfig{Subnet: subnet.Masked(), Range: rng.Masked(), Gateway: gw.Unmap()})
	}
	return out
}

// parseCIDR accepts a prefix with host bits set ("10.0.0.1/24") as
// net.ParseCIDR does; netip.ParsePrefix does too, Masked drops them.
func parseCIDR(s string) (netip.Prefix, error) {
	if s == "" {
		return netip.Prefix{}, nil
	}
	return netip.ParsePrefix(s)
}
