package swarm

import (
	"github.com/moby/swarmkit/v2/api"
	"github.com/moby/swarmkit/v2/manager/allocator/networkallocator"
)

// netProvider is SwarmKit's inert network allocator, except that the
// ingress network's attachments succeed (ingress ports are served by the
// node's own load balancer in the daemon's nftables, which needs no
// addresses from the allocator) and services may name networks: those are
// the daemon's networks on this node (`network create -d overlay` makes a
// local bridge), which the executor attaches task containers to. Nothing
// is allocated cluster-wide: no VIPs, no VXLAN between nodes.
type netProvider struct{ networkallocator.InertProvider }

func (netProvider) NewAllocator(*networkallocator.Config) (networkallocator.NetworkAllocator, error) {
	return netAllocator{}, nil
}

type netAllocator struct{ networkallocator.Inert }

func (netAllocator) AllocateAttachment(_ *api.Node, na *api.NetworkAttachment) error {
	if na.Network != nil && networkallocator.IsIngressNetwork(na.Network) {
		return nil
	}
	return networkallocator.Inert{}.AllocateAttachment(nil, na)
}

func (netAllocator) IsAttachmentAllocated(_ *api.Node, na *api.NetworkAttachment) bool {
	return na.Network != nil && networkallocator.IsIngressNetwork(na.Network)
}

func (netAllocator) AllocateService(*api.Service) error { return nil }

func (netAllocator) IsServiceAllocated(*api.Service, ...func(*networkallocator.ServiceAllocationOpts)) bool {
	return true
}

func (netAllocator) AllocateTask(*api.Task) error { return nil }

// IsTaskAllocated sends tasks without an endpoint through the allocator's
// full path, which copies the service's endpoint (published ports) into
// the task: the executor publishes from it. The inert allocator reports
// every task without networks as allocated, which skips that copy.
func (netAllocator) IsTaskAllocated(t *api.Task) bool {
	return t.Endpoint != nil
}
