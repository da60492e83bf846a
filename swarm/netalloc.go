package swarm

import (
	"github.com/moby/swarmkit/v2/api"
	"github.com/moby/swarmkit/v2/manager/allocator/networkallocator"
)

// netProvider is SwarmKit's inert network allocator, except that the
// ingress network's attachments succeed: ingress ports are served by the
// node's own load balancer (the daemon's nftables), which needs no
// addresses from the allocator. Overlay networks stay unavailable.
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
