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
	// extra are the subnets after the first of each family (Docker allows
	// several per family); addresses come from the first pool with room.
	extra []ipPool

	mtu                  int
	internal, icc, masq  bool
	userSubnet, userSub6 bool
	rec                  *netRecord
	drv                  netDriver // nil for host and none
	// removing: removed while swarm tasks still use it; it goes with the
	// last endpoint and is invisible meanwhile.
	removing bool
	// ov: overlay peers and services, in memory (the swarm sends them
	// again after a restart).
	ov *overlayState
}

func (n *netw) isDefault() bool { return n.ipamKey == DefaultNetworkName }

// firewalled reports whether the network has a host bridge our rules cover.
func (n *netw) firewalled() bool { return n.driver == "bridge" && n.iface != "" }

func (n *netw) rules() netRules {
	r := netRules{Bridge: n.iface, Subnet: n.subnet, Subnet6: n.subnet6, Internal: n.internal, ICC: n.icc, Masquerade: n.masq}
	for _, p := range n.extra {
		r.Extra = append(r.Extra, p.subnet)
	}
	return r
}

// ipPool is one subnet of a network with its optional --ip-range and its
// gateway.
type ipPool struct {
	subnet, ipRange netip.Prefix
	gateway         netip.Addr
}

// pools returns the network's pools of one family, the first subnet first.
func (n *netw) pools(v6 bool) []ipPool {
	var out []ipPool
	if first := (ipPool{n.subnet, n.ipRange, n.gateway}); !v6 && first.subnet.IsValid() {
		out = append(out, first)
	}
	if first := (ipPool{n.subnet6, n.ipRange6, n.gateway6}); v6 && first.subnet.IsValid() {
		out = append(out, first)
	}
	for _, p := range n.extra {
		if p.subnet.Addr().Is6() == v6 {
			out = append(out, p)
		}
	}
	return out
}

// subnets lists every subnet of the network.
func (n *netw) subnets() []netip.Prefix {
	var out []netip.Prefix
	for _, v6 := range []bool{false, true} {
		for _, p := range n.pools(v6) {
			out = append(out, p.subnet)
		}
	}
	return out
}

// gatewayAddrs are the bridge's addresses: every pool's gateway with its
// subnet length.
func (n *netw) gatewayAddrs() []netip.Prefix {
	var out []netip.Prefix
	for _, v6 := range []bool{false, true} {
		for _, p := range n.pools(v6) {
			if p.gateway.IsValid() {
				out = append(out, netip.PrefixFrom(p.gateway, p.subnet.Bits()))
			}
		}
	}
	return out
}
