package network

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"testing"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/network"
	"github.com/vishvananda/netlink"
	bolt "go.etcd.io/bbolt"
)

func TestPortRangeAndConflicts(t *testing.T) {
	h, m := userNetHarness(t)
	ctx := context.Background()
	ns := h.netns("pr")
	// A free block of three ports on 127.0.0.1.
	var base int
	for base = 41000 + int(h.suffix[0])*13; base < 60000; base += 3 {
		ok := true
		for p := base; p < base+3; p++ {
			if l, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", p)); err != nil {
				ok = false
			} else {
				l.Close()
			}
		}
		if ok {
			break
		}
	}
	lo := netip.MustParseAddr("127.0.0.1")
	// What the CLI sends for -p 127.0.0.1:B-B+2:80-82.
	pm := network.PortMap{}
	for i := 0; i < 3; i++ {
		pm[network.MustParsePort(fmt.Sprintf("%d/tcp", 80+i))] = []network.PortBinding{{HostIP: lo, HostPort: fmt.Sprint(base + i)}}
	}
	ep, err := m.Attach(ctx, AttachRequest{ContainerID: "pr1" + h.suffix, NetNSPath: ns, PortBindings: pm})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		listenIn(t, ns, "tcp", fmt.Sprintf(":%d", 80+i))
		if hp := hostPort(t, ep, fmt.Sprintf("%d/tcp", 80+i)); hp != fmt.Sprint(base+i) {
			t.Errorf("port %d published on %s", 80+i, hp)
		}
		if got, err := tcpHello(fmt.Sprintf("127.0.0.1:%d", base+i)); err != nil || !strings.Contains(got, fmt.Sprintf(":%d ", 80+i)) {
			t.Errorf("127.0.0.1:%d: %q %v", base+i, got, err)
		}
	}
	// Taken by berth: Docker's "port is already allocated", nothing left.
	ns2 := h.netns("pr2")
	_, err = m.Attach(ctx, AttachRequest{ContainerID: "pr2" + h.suffix, NetNSPath: ns2,
		PortBindings: network.PortMap{network.MustParsePort("90/tcp"): {{HostPort: "9"}}, network.MustParsePort("80/tcp"): {{HostIP: lo, HostPort: fmt.Sprint(base + 1)}}}})
	if err == nil || !strings.Contains(err.Error(), "port is already allocated") {
		t.Errorf("taken port: %v", err)
	}
	h.assertNoEndpoint(m, "pr2"+h.suffix)
	// Taken by a host process: the bind error, nothing left.
	if err := m.DetachAll(ctx, "pr1"+h.suffix); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", base))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = m.Attach(ctx, AttachRequest{ContainerID: "pr2" + h.suffix, NetNSPath: ns2,
		PortBindings: network.PortMap{network.MustParsePort("80/tcp"): {{HostIP: lo, HostPort: fmt.Sprint(base)}}}})
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("port of a host process: %v", err)
	}
	h.assertNoEndpoint(m, "pr2"+h.suffix)
	m.ports.mu.Lock()
	held := len(m.ports.held)
	m.ports.mu.Unlock()
	if held != 0 {
		t.Errorf("%d ports still held", held)
	}
}

// TestDefaultBridgeDaemonOptions: --ipv6 --fixed-cidr-v6 --fixed-cidr on
// the default bridge, and --iptables=false installing no rules at all.
func TestDefaultBridgeDaemonOptions(t *testing.T) {
	h := newHarness(t)
	pfx := h.cfg.BridgeIP[:strings.LastIndex(h.cfg.BridgeIP, ".")]
	h.cfg.IPv6 = true
	h.cfg.FixedCIDRv6 = fmt.Sprintf("fd00:b8:%s::/64", h.suffix[:4])
	h.cfg.FixedCIDR = pfx + ".64/26"
	h.cfg.DisableIPTables = true
	h.cur = h.newManager()
	m := h.cur
	ctx := context.Background()
	t.Cleanup(func() {
		if err := m.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		h.assertClean()
	})
	if out := nftList(t, "inet", h.cfg.NftTable) + nftList(t, "bridge", h.cfg.NftTable); out != "" {
		t.Errorf("--iptables=false installed rules:\n%s", out)
	}
	ns1, ns2 := h.netns("d1"), h.netns("d2")
	e1, err := m.Attach(ctx, AttachRequest{ContainerID: "d1" + h.suffix, NetNSPath: ns1})
	if err != nil {
		t.Fatal(err)
	}
	e2, err := m.Attach(ctx, AttachRequest{ContainerID: "d2" + h.suffix, ContainerName: "d2", NetNSPath: ns2})
	if err != nil {
		t.Fatal(err)
	}
	if !netip.MustParsePrefix(h.cfg.FixedCIDR).Contains(e1.IP.Addr()) || !e1.IPv6.IsValid() {
		t.Errorf("default bridge endpoint: %v %v", e1.IP, e1.IPv6)
	}
	if err := ping(ns1, e2.IPv6.Addr()); err != nil {
		t.Errorf("ping6 on the default bridge: %v", err)
	}
	if v4, _ := m.ResolveName("d1"+h.suffix, "d2"); len(v4) != 0 {
		t.Errorf("name resolution on the default bridge: %v", v4)
	}
	for _, id := range []string{"d1", "d2"} {
		if err := m.DetachAll(ctx, id+h.suffix); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPoolSkipsHostRoutes: a subnet of the pools that is routed on the
// host (here a test veth with an address in it) is never handed out.
func TestPoolSkipsHostRoutes(t *testing.T) {
	h, m := userNetHarness(t)
	ctx := context.Background()
	first, _ := nthSubnet(netip.MustParsePrefix(h.cfg.DefaultAddressPools[0].Base), h.cfg.DefaultAddressPools[0].Size, 0)
	parent := vethParent(t, h)
	l, err := netlink.LinkByName(parent)
	if err != nil {
		t.Fatal(err)
	}
	if err := netlink.AddrAdd(l, &netlink.Addr{IPNet: prefixToIPNet(netip.PrefixFrom(first.Addr().Next(), first.Bits()))}); err != nil {
		t.Fatal(err)
	}
	n, err := m.CreateNetwork(ctx, CreateOptions{Name: "pool" + h.suffix})
	if err != nil {
		t.Fatal(err)
	}
	if got := netip.MustParsePrefix(n.IPAM[0].Subnet); got.Overlaps(first) {
		t.Errorf("allocated %s, which is routed on the host", got)
	}
	// A user-given subnet is not checked against routes (as with Docker:
	// macvlan subnets are the LAN's), only against other networks.
	if _, err := m.CreateNetwork(ctx, CreateOptions{Name: "pool2" + h.suffix, IPAM: []IPAMConfig{{Subnet: n.IPAM[0].Subnet}}}); !errdefs.IsForbidden(err) {
		t.Errorf("same subnet twice: %v", err)
	}
	if err := m.RemoveNetwork(ctx, n.Name); err != nil {
		t.Fatal(err)
	}
}

func ipamCount(m *Manager) int {
	n := 0
	m.cfg.DB.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(ipamBucket); b != nil {
			b.ForEachBucket(func([]byte) error { n++; return nil })
		}
		return nil
	})
	return n
}

// TestBridgeNone: -b none disables only the default bridge; user networks
// still work.
func TestBridgeNone(t *testing.T) {
	h := newHarness(t)
	h.cfg.BridgeName = "none"
	h.cur = h.newManager()
	m := h.cur
	ctx := context.Background()
	t.Cleanup(func() {
		ifaces := m.ourIfaces()
		if err := m.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		h.assertClean()
		for _, name := range ifaces {
			if linkExists(name) {
				t.Errorf("device %s left after Shutdown", name)
			}
		}
	})
	var names []string
	for _, n := range m.Networks() {
		names = append(names, n.Name)
	}
	if strings.Join(names, ",") != "host,none" {
		t.Errorf("networks with -b none: %v", names)
	}
	ns := h.netns("bn")
	if _, err := m.Attach(ctx, AttachRequest{ContainerID: "bn" + h.suffix, NetNSPath: ns}); !errdefs.IsNotFound(err) || err.Error() != "network bridge not found" {
		t.Errorf("default bridge with -b none: %v", err)
	}
	n, err := m.CreateNetwork(ctx, CreateOptions{Name: "bn" + h.suffix})
	if err != nil {
		t.Fatal(err)
	}
	ep, err := m.Attach(ctx, AttachRequest{ContainerID: "bn" + h.suffix, NetNSPath: ns, Network: n.Name})
	if err != nil {
		t.Fatal(err)
	}
	if err := ping(ns, ep.Gateway); err != nil {
		t.Errorf("user network with -b none: %v", err)
	}
	if _, err := m.Attach(ctx, AttachRequest{ContainerID: "bn2" + h.suffix, NetNSPath: h.netns("bn2"), Network: "host"}); !errdefs.IsForbidden(err) {
		t.Errorf("attach to host: %v", err)
	}
	if err := m.DetachAll(ctx, "bn"+h.suffix); err != nil {
		t.Fatal(err)
	}
}

// TestAdoptedBridgeKept: a bridge named with -o com.docker.network.bridge.name
// that existed before the network is used, and left in place by rm.
func TestAdoptedBridgeKept(t *testing.T) {
	h, m := userNetHarness(t)
	ctx := context.Background()
	name := "btx" + h.suffix
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name}}
	if err := netlink.LinkAdd(br); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { netlink.LinkDel(br) })
	n, err := m.CreateNetwork(ctx, CreateOptions{Name: "adopt" + h.suffix, Options: map[string]string{OptBridgeName: name}})
	if err != nil {
		t.Fatal(err)
	}
	if n.Options[OptBridgeName] != name {
		t.Errorf("options: %v", n.Options)
	}
	if _, err := m.CreateNetwork(ctx, CreateOptions{Name: "adopt2" + h.suffix, Options: map[string]string{OptBridgeName: name}}); !errdefs.IsConflict(err) {
		t.Errorf("same bridge twice: %v", err)
	}
	ep, err := m.Attach(ctx, AttachRequest{ContainerID: "ad" + h.suffix, NetNSPath: h.netns("ad"), Network: n.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := ping(h.dir+"/netns/ad", ep.Gateway); err != nil {
		t.Errorf("adopted bridge: %v", err)
	}
	if err := m.DetachAll(ctx, "ad"+h.suffix); err != nil {
		t.Fatal(err)
	}
	if err := m.RemoveNetwork(ctx, n.ID); err != nil {
		t.Fatal(err)
	}
	if !linkExists(name) {
		t.Error("network rm deleted a bridge it did not create")
	}
	if out, _ := exec.Command("ip", "-o", "addr", "show", name).Output(); strings.Contains(string(out), ep.Gateway.String()) {
		t.Errorf("our address left on the adopted bridge: %s", out)
	}
}
