package network

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/vishvananda/netlink"
)

// multiSubnets returns three /29s, a /64 of ours and their gateways for
// one test run.
func (h *harness) multiSubnets() (a, b netip.Prefix, v6 netip.Prefix) {
	base := fmt.Sprintf("10.118.%d.", (int(h.suffix[2])%40)*5)
	a = netip.MustParsePrefix(base + "0/29")
	b = netip.MustParsePrefix(base + "64/26")
	v6 = netip.MustParsePrefix(fmt.Sprintf("fd00:b7:%s::/64", h.suffix[:4]))
	return a, b, v6
}

// TestMultiSubnetBridge: two IPv4 subnets and an IPv6 one on one bridge.
// Addresses come from the first subnet until it is full, then from the
// second, with that subnet's gateway; --ip picks its subnet; the bridge
// carries every gateway, inspect shows every subnet, and containers of the
// two subnets reach each other through the host.
func TestMultiSubnetBridge(t *testing.T) {
	h, m := userNetHarness(t)
	ctx := context.Background()
	a, b, v6 := h.multiSubnets()
	gwA, gwB, gw6 := lastHost(a), lastHost(b), v6.Addr().Next().Next()
	// Subnets of one request must not overlap each other either.
	if _, err := m.CreateNetwork(ctx, CreateOptions{Name: "mo" + h.suffix, IPAM: []IPAMConfig{{Subnet: b.String()}, {Subnet: netip.PrefixFrom(b.Addr(), 28).String()}}}); !errdefs.IsForbidden(err) ||
		!strings.Contains(err.Error(), "Pool overlaps with other one on this address space") {
		t.Errorf("overlapping subnets in one request: %v", err)
	}
	if len(m.Networks()) != 3 {
		t.Errorf("a network was left by the failed create: %d networks", len(m.Networks()))
	}
	n, err := m.CreateNetwork(ctx, CreateOptions{Name: "ms" + h.suffix, IPAM: []IPAMConfig{
		{Subnet: a.String(), Gateway: gwA.String()},
		{Subnet: b.String(), Gateway: gwB.String()},
		{Subnet: v6.String(), Gateway: gw6.String()},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(n.IPAM) != 3 || n.IPAM[1].Subnet != b.String() || n.IPAM[1].Gateway != gwB.String() || !n.EnableIPv6 {
		t.Errorf("inspect IPAM: %+v", n.IPAM)
	}
	br, err := netlink.LinkByName("bb-" + n.ID[:12])
	if err != nil {
		t.Fatal(err)
	}
	addrs, _ := netlink.AddrList(br, netlink.FAMILY_ALL)
	var have []string
	for _, ad := range addrs {
		have = append(have, ad.IPNet.String())
	}
	for _, want := range []netip.Prefix{netip.PrefixFrom(gwA, a.Bits()), netip.PrefixFrom(gwB, b.Bits()), netip.PrefixFrom(gw6, 64)} {
		if !strings.Contains(strings.Join(have, " "), want.String()) {
			t.Errorf("bridge addresses %v lack gateway %s", have, want)
		}
	}

	// A /29 holds 6 hosts; the gateway takes one.
	var eps []*Endpoint
	var ns []string
	for i := range 6 {
		ns = append(ns, h.netns(fmt.Sprint("s", i)))
		ep, err := m.Attach(ctx, AttachRequest{ContainerID: fmt.Sprintf("ms%d%s", i, h.suffix), NetNSPath: ns[i], Network: n.Name})
		if err != nil {
			t.Fatal(err)
		}
		eps = append(eps, ep)
	}
	for i, ep := range eps {
		wantSub, wantGw := a, gwA
		if i == 5 {
			wantSub, wantGw = b, gwB
		}
		if !wantSub.Contains(ep.IP.Addr()) || ep.IP.Bits() != wantSub.Bits() || ep.Gateway != wantGw {
			t.Errorf("endpoint %d: %s via %s, want in %s via %s", i, ep.IP, ep.Gateway, wantSub, wantGw)
		}
		if !v6.Contains(ep.IPv6.Addr()) || ep.Gateway6 != gw6 {
			t.Errorf("endpoint %d: IPv6 %s via %s", i, ep.IPv6, ep.Gateway6)
		}
	}
	static := b.Addr().Next().Next().Next().Next().Next()
	nsS := h.netns("ss")
	st, err := m.Attach(ctx, AttachRequest{ContainerID: "mss" + h.suffix, NetNSPath: nsS, Network: n.Name, IPv4: static})
	if err != nil {
		t.Fatal(err)
	}
	if st.IP != netip.PrefixFrom(static, b.Bits()) || st.Gateway != gwB {
		t.Errorf("--ip %s: got %s via %s", static, st.IP, st.Gateway)
	}
	if _, err := m.Attach(ctx, AttachRequest{ContainerID: "msx" + h.suffix, NetNSPath: h.netns("sx"), Network: n.Name, IPv4: netip.MustParseAddr("10.1.2.3")}); err == nil ||
		!strings.Contains(err.Error(), "no configured subnet or ip-range contain the IP address 10.1.2.3") {
		t.Errorf("--ip outside every subnet: %v", err)
	}
	if out, _ := inNS(ns[5], "ip", "route"); !strings.Contains(out, "default via "+gwB.String()) {
		t.Errorf("routes of the container in the second subnet:\n%s", out)
	}
	// Across the subnets (through the host's gateways), and to both gateways.
	for _, c := range []struct {
		ns string
		to netip.Addr
	}{{ns[0], eps[5].IP.Addr()}, {ns[5], eps[0].IP.Addr()}, {ns[5], st.IP.Addr()}, {ns[0], gwA}, {ns[5], gwB}, {ns[0], eps[5].IPv6.Addr()}} {
		if err := ping(c.ns, c.to); err != nil {
			t.Errorf("ping %s from %s: %v", c.to, c.ns, err)
		}
	}
	if nft := nftList(t, "inet", h.cfg.NftTable); !strings.Contains(nft, "ip saddr "+b.String()+" masquerade") {
		t.Errorf("no masquerade rule for the second subnet:\n%s", nft)
	}
	// After a daemon restart the second subnet is still known.
	m = h.restart()
	if got, err := m.GetNetwork(n.Name); err != nil || len(got.IPAM) != 3 {
		t.Fatalf("after restart: %+v %v", got, err)
	}
	for i := range 6 {
		if err := m.DetachAll(ctx, fmt.Sprintf("ms%d%s", i, h.suffix)); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.DetachAll(ctx, "mss"+h.suffix); err != nil {
		t.Fatal(err)
	}
	if err := m.RemoveNetwork(ctx, n.Name); err != nil {
		t.Fatal(err)
	}
	if linkExists("bb-" + n.ID[:12]) {
		t.Error("bridge left after network rm")
	}
}

// TestMultiSubnetMacvlan: two IPv4 subnets on a macvlan network whose
// parent is a veth: a full first subnet sends the next container to the
// second, with the second gateway as its default route.
func TestMultiSubnetMacvlan(t *testing.T) {
	h, m := userNetHarness(t)
	ctx := context.Background()
	parent := vethParent(t, h)
	a, b, _ := h.multiSubnets()
	a = netip.PrefixFrom(a.Addr(), 30) // two hosts: gateway and one container
	gwA, gwB := a.Addr().Next(), b.Addr().Next()
	n, err := m.CreateNetwork(ctx, CreateOptions{Name: "mm" + h.suffix, Driver: "macvlan", Options: map[string]string{"parent": parent},
		IPAM: []IPAMConfig{{Subnet: a.String(), Gateway: gwA.String()}, {Subnet: b.String(), Gateway: gwB.String()}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(n.IPAM) != 2 {
		t.Errorf("inspect IPAM: %+v", n.IPAM)
	}
	var eps []*Endpoint
	var ns []string
	for i := range 3 {
		ns = append(ns, h.netns(fmt.Sprint("m", i)))
		ep, err := m.Attach(ctx, AttachRequest{ContainerID: fmt.Sprintf("mm%d%s", i, h.suffix), NetNSPath: ns[i], Network: n.Name})
		if err != nil {
			t.Fatal(err)
		}
		eps = append(eps, ep)
	}
	if !a.Contains(eps[0].IP.Addr()) || eps[0].Gateway != gwA {
		t.Errorf("first container: %s via %s, want in %s", eps[0].IP, eps[0].Gateway, a)
	}
	for _, ep := range eps[1:] {
		if !b.Contains(ep.IP.Addr()) || ep.Gateway != gwB {
			t.Errorf("container after the first subnet filled: %s via %s, want in %s", ep.IP, ep.Gateway, b)
		}
	}
	if out, _ := inNS(ns[1], "ip", "route"); !strings.Contains(out, "default via "+gwB.String()) {
		t.Errorf("routes in the second subnet:\n%s", out)
	}
	if err := ping(ns[1], eps[2].IP.Addr()); err != nil {
		t.Errorf("macvlan ping inside the second subnet: %v", err)
	}
	for i := range 3 {
		if err := m.DetachAll(ctx, fmt.Sprintf("mm%d%s", i, h.suffix)); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.RemoveNetwork(ctx, n.Name); err != nil {
		t.Fatal(err)
	}
}

// lastHost is the highest address of p a host may have.
func lastHost(p netip.Prefix) netip.Addr {
	_, l := hostRange(p)
	return l
}
