package executor

import (
	"context"
	"net/netip"
	"strconv"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/swarmkit/v2/api"
	"github.com/moby/swarmkit/v2/manager/allocator/networkallocator"
)

// vxlanIDOption is where the allocator records a network's VNI (Docker's
// option name).
const vxlanIDOption = "com.docker.network.driver.overlay.vxlanid_list"

// OverlayNetwork is a cluster network a task attaches to, as the node
// needs it (network.OverlayNetwork has the same shape).
type OverlayNetwork struct {
	ID, Name             string
	VNI                  uint32
	VXLANPort            int
	Subnet, Gateway      string
	Labels               map[string]string
	Internal, Attachable bool
}

// Overlay makes cluster networks present on this node (network.Manager).
type Overlay interface {
	EnsureOverlay(ctx context.Context, n OverlayNetwork) error
	ReleaseOverlay(ctx context.Context, id string) error
}

// taskAttachment is one allocated overlay attachment of a task.
type taskAttachment struct {
	net     OverlayNetwork
	addr    netip.Addr
	aliases []string
	opts    map[string]string
}

// overlayAttachments lists the task's allocated overlay networks in spec
// order; the ingress network is served by the node's load balancer, not
// attached.
func overlayAttachments(t *api.Task) []taskAttachment {
	var out []taskAttachment
	for _, na := range t.Networks {
		n := na.Network
		if n == nil || networkallocator.IsIngressNetwork(n) || n.IPAM == nil || len(n.IPAM.Configs) == 0 {
			continue
		}
		var addr netip.Addr
		for _, a := range na.Addresses {
			if p, err := netip.ParsePrefix(a); err == nil && p.Addr().Is4() {
				addr = p.Addr()
				break
			}
		}
		ov := OverlayNetwork{ID: n.ID, Name: n.Spec.Annotations.Name, Labels: n.Spec.Annotations.Labels,
			Internal: n.Spec.Internal, Attachable: n.Spec.Attachable}
		for _, c := range n.IPAM.Configs {
			if c.Family != api.IPAMConfig_IPV6 && ov.Subnet == "" {
				ov.Subnet, ov.Gateway = c.Subnet, c.Gateway
			}
		}
		if n.DriverState != nil {
			if v, err := strconv.ParseUint(n.DriverState.Options[vxlanIDOption], 10, 32); err == nil {
				ov.VNI = uint32(v)
			}
		}
		out = append(out, taskAttachment{net: ov, addr: addr, aliases: na.Aliases, opts: na.DriverAttachmentOpts})
	}
	return out
}

// endpoints is the create request's networking for the attachments.
func endpoints(atts []taskAttachment) map[string]*network.EndpointSettings {
	eps := map[string]*network.EndpointSettings{}
	for _, a := range atts {
		es := &network.EndpointSettings{Aliases: a.aliases, DriverOpts: a.opts}
		if a.addr.IsValid() {
			es.IPAMConfig = &network.EndpointIPAMConfig{IPv4Address: a.addr}
		}
		eps[a.net.ID] = es
	}
	return eps
}

// ensureOverlays makes the task's networks present, counting their users
// so the last task to go removes them from the node.
func (e *Executor) ensureOverlays(ctx context.Context, taskID string, atts []taskAttachment) error {
	if e.cfg.Overlay == nil {
		return nil
	}
	for _, a := range atts {
		e.mu.Lock()
		if e.netUsers[a.net.ID] == nil {
			e.netUsers[a.net.ID] = map[string]bool{}
		}
		e.netUsers[a.net.ID][taskID] = true
		e.mu.Unlock()
		if err := e.cfg.Overlay.EnsureOverlay(ctx, a.net); err != nil {
			return err
		}
	}
	e.overlayGen.Add(1)
	return nil
}

// releaseOverlays drops the task's use of its networks.
func (e *Executor) releaseOverlays(ctx context.Context, taskID string, atts []taskAttachment) {
	if e.cfg.Overlay == nil {
		return
	}
	for _, a := range atts {
		e.mu.Lock()
		users := e.netUsers[a.net.ID]
		delete(users, taskID)
		last := len(users) == 0
		if last {
			delete(e.netUsers, a.net.ID)
		}
		e.mu.Unlock()
		if last {
			_ = e.cfg.Overlay.ReleaseOverlay(ctx, a.net.ID)
		}
	}
}

// OverlayGeneration changes whenever a network was made present, so the
// overlay sync pushes peers and services again.
func (e *Executor) OverlayGeneration() uint64 { return e.overlayGen.Load() }
