package executor

import (
	"context"
	"net/netip"
	"sort"
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
	// SetIngressAddr gives the node its address on the ingress network.
	SetIngressAddr(ctx context.Context, id string, addr netip.Prefix) error
}

// taskAttachment is one allocated overlay attachment of a task.
type taskAttachment struct {
	net     OverlayNetwork
	ingress bool // the routing mesh's network
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
		if n == nil || n.IPAM == nil || len(n.IPAM.Configs) == 0 {
			continue
		}
		ov, addr := overlayNetwork(n), AttachmentAddr(na)
		out = append(out, taskAttachment{net: ov, ingress: networkallocator.IsIngressNetwork(n), addr: addr, aliases: na.Aliases, opts: na.DriverAttachmentOpts})
	}
	// The first network the service names is the primary one; the
	// ingress network never is (a task only on it stays on the default
	// bridge, as a dockerd task has its docker_gwbridge).
	sort.SliceStable(out, func(i, j int) bool { return !out[i].ingress && out[j].ingress })
	return out
}

// AttachmentAddr is an attachment's first IPv4 address without its length.
func AttachmentAddr(na *api.NetworkAttachment) netip.Addr {
	for _, a := range na.Addresses {
		if p, err := netip.ParsePrefix(a); err == nil && p.Addr().Is4() {
			return p.Addr()
		}
	}
	return netip.Addr{}
}

func overlayNetwork(n *api.Network) OverlayNetwork {
	ov := OverlayNetwork{ID: n.ID, Name: n.Spec.Annotations.Name, Labels: n.Spec.Annotations.Labels,
		Internal: n.Spec.Internal, Attachable: n.Spec.Attachable}
	if n.IPAM != nil {
		for _, c := range n.IPAM.Configs {
			if c.Family != api.IPAMConfig_IPV6 && ov.Subnet == "" {
				ov.Subnet, ov.Gateway = c.Subnet, c.Gateway
			}
		}
	}
	if n.DriverState != nil {
		if v, err := strconv.ParseUint(n.DriverState.Options[vxlanIDOption], 10, 32); err == nil {
			ov.VNI = uint32(v)
		}
	}
	return ov
}

// nodeUser marks the node's own use of the ingress network, which no
// task's removal ends.
const nodeUser = "\x00node"

// configureIngress makes the ingress network present with this node's
// load-balancer address (the allocator's attachment of the node), so the
// node forwards its published ports to tasks on every node.
func (e *Executor) configureIngress(ctx context.Context, node *api.Node) error {
	if e.cfg.Overlay == nil || node == nil {
		return nil
	}
	for _, na := range node.Attachments {
		if na.Network == nil || !networkallocator.IsIngressNetwork(na.Network) || len(na.Addresses) == 0 {
			continue
		}
		p, err := netip.ParsePrefix(na.Addresses[0])
		if err != nil {
			continue
		}
		ov := overlayNetwork(na.Network)
		if ov.VNI == 0 || ov.Subnet == "" {
			continue
		}
		e.mu.Lock()
		if e.netUsers[ov.ID] == nil {
			e.netUsers[ov.ID] = map[string]bool{}
		}
		e.netUsers[ov.ID][nodeUser] = true
		e.mu.Unlock()
		if err := e.cfg.Overlay.EnsureOverlay(ctx, ov); err != nil {
			return err
		}
		if err := e.cfg.Overlay.SetIngressAddr(ctx, ov.ID, p); err != nil {
			return err
		}
		e.overlayGen.Add(1)
	}
	return nil
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

// TasksChanged is signalled when a task of this node started or stopped
// (the overlay sync then looks at the catalog sooner).
func (e *Executor) TasksChanged() <-chan struct{} { return e.changed }

func (e *Executor) taskChanged() {
	select {
	case e.changed <- struct{}{}:
	default:
	}
}
