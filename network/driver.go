package network

import (
	"context"
	"net/netip"
)

// netDriver is what a network type (bridge now; macvlan/ipvlan later)
// implements. The Manager owns IPAM, persistence, ports and nftables; a
// driver only owns devices.
type netDriver interface {
	// Setup creates or adopts the network's host device; idempotent.
	Setup(ctx context.Context) error
	// Join creates the container's interface (eth0) in the namespace at
	// ep.NetNSPath with ep's address, MAC and default route.
	Join(ctx context.Context, ep *endpointRecord) error
	// Leave removes the container's interface; missing is not an error.
	// The device may disappear asynchronously; wait() waits for that.
	Leave(ctx context.Context, ep *endpointRecord) error
	wait()
	// Teardown waits for background work and removes the host device.
	Teardown(ctx context.Context) error
}

// netw is one network: its addressing, its rules input and its driver.
type netw struct {
	name    string // "bridge" for the default network, as in Docker
	iface   string // host device the containers hang off (the bridge)
	subnet  netip.Prefix
	gateway netip.Addr
	mtu     int
	drv     netDriver
}

func (n *netw) rules() netRules { return netRules{Bridge: n.iface, Subnet: n.subnet} }
