package engine

import (
	"context"
	"net/netip"

	"github.com/berth-project/berth/swarm"
	"github.com/berth-project/berth/swarm/executor"
)

// EnsureOverlay implements executor.Overlay.
func (e *Engine) EnsureOverlay(ctx context.Context, n executor.OverlayNetwork) error {
	return e.post(ctx, "/_berth/overlay/ensure", n)
}

// ReleaseOverlay implements executor.Overlay.
func (e *Engine) ReleaseOverlay(ctx context.Context, id string) error {
	return e.post(ctx, "/_berth/overlay/release", struct{ ID string }{id})
}

// SyncOverlay is the cluster's swarm.OverlaySink: peers, services and
// VIPs of the overlay networks on this node.
func (e *Engine) SyncOverlay(ctx context.Context, s swarm.OverlaySync) error {
	return e.post(ctx, "/_berth/overlay/sync", s)
}

// SetIngressAddr implements executor.Overlay.
func (e *Engine) SetIngressAddr(ctx context.Context, id string, addr netip.Prefix) error {
	return e.post(ctx, "/_berth/overlay/ingress-addr", struct {
		ID   string
		Addr netip.Prefix
	}{id, addr})
}
