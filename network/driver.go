package network

import (
	"context"
	"net/netip"
)

// netDriver is what a network type (bridge, macvlan, ipvlan) implements.
// The Manager owns IPAM, persistence, ports and nftables; a driver only
// owns devices.
type netDriver interface {
	// Setup creates or adopts the network's host device; idempotent.
	Setup(ctx context.Context) error
	// Join creates the container's interface (ep.IfName) in the namespace
	// at ep.NetNSPath with ep's addresses, MAC and default routes.
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
	id, name string
	driver   string // "bridge", "macvlan", "ipvlan", "host", "null"
	iface    string // bridge device the containers hang off; "" otherwise
	ipamKey  string // IPAM bucket: "bridge" for the default network, else the ID

	subnet, ipRange   netip.Prefix
	gateway           netip.Addr
	subnet6, ipRange6 netip.Prefix
	gateway6          netip.Addr

	mtu                  int
	internal, icc, masq  bool
	userSubnet, userSub6 bool
	rec                  *netRecord
	drv                  netDriver // nil for host and none
}

func (n *netw) isDefault() bool { return n.ipamKey == DefaultNetworkName }

// firewalled reports whether the network has a host bridge our rules cover.
func (n *netw) firewalled() bool { return n.driver == "bridge" && n.iface != "" }

func (n *netw) rules() netRules {
	return netRules{Bridge: n.iface, Subnet: n.subnet, Subnet6: n.subnet6, Internal: n.internal, ICC: n.icc, Masquerade: n.masq}
}
