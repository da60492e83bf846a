package network

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/network"
	"github.com/vishvananda/netlink"
)

func TestICCOffAndLinks(t *testing.T) {
	h := newHarness(t)
	h.cfg.DisableICC = true
	h.cur = h.newManager()
	m := h.cur
	ctx := context.Background()
	t.Cleanup(func() {
		if err := m.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		h.assertClean()
	})
	ns1, ns2, ns3 := h.netns("i1"), h.netns("i2"), h.netns("i3")
	var eps []*Endpoint
	for i, ns := range []string{ns1, ns2, ns3} {
		ep, err := m.Attach(ctx, AttachRequest{ContainerID: fmt.Sprint("icc", i, h.suffix), NetNSPath: ns})
		if err != nil {
			t.Fatal(err)
		}
		eps = append(eps, ep)
	}
	if err := ping(ns1, eps[1].IP.Addr()); err == nil {
		t.Error("--icc=false: unlinked containers talk")
	}
	if err := ping(ns1, eps[0].Gateway); err != nil {
		t.Errorf("--icc=false: container cannot reach the gateway: %v", err)
	}
	if err := m.Link(ctx, "icc0"+h.suffix, "icc1"+h.suffix); err != nil {
		t.Fatal(err)
	}
	if err := ping(ns1, eps[1].IP.Addr()); err != nil {
		t.Errorf("linked containers: %v", err)
	}
	if err := ping(ns1, eps[2].IP.Addr()); err == nil {
		t.Error("--icc=false: link opened traffic to a third container")
	}
	// The link survives a restart and goes away with a detach.
	m = h.restart()
	if err := ping(ns2, eps[0].IP.Addr()); err != nil {
		t.Errorf("linked containers after restart: %v", err)
	}
	if err := m.DetachAll(ctx, "icc1"+h.suffix); err != nil {
		t.Fatal(err)
	}
	if len(m.links) != 0 || strings.Contains(nftList(t, "bridge", h.cfg.NftTable), eps[1].IP.Addr().String()) {
		t.Errorf("link left after detach: %v\n%s", m.links, nftList(t, "bridge", h.cfg.NftTable))
	}
	// A user network with enable_icc=false.
	n, err := m.CreateNetwork(ctx, CreateOptions{Name: "noicc" + h.suffix, Options: map[string]string{OptICC: "false"}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := m.Attach(ctx, AttachRequest{ContainerID: "icc4" + h.suffix, NetNSPath: h.netns("i4"), Network: n.Name})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Attach(ctx, AttachRequest{ContainerID: "icc5" + h.suffix, NetNSPath: h.netns("i5"), Network: n.Name})
	if err != nil {
		t.Fatal(err)
	}
	if err := ping(h.dir+"/netns/i4", b.IP.Addr()); err == nil {
		t.Error("enable_icc=false network: containers talk")
	}
	if _, err := m.CreateNetwork(ctx, CreateOptions{Name: "badicc" + h.suffix, Options: map[string]string{OptICC: "maybe"}}); !errdefs.IsInvalidParameter(err) {
		t.Errorf("bad bool option: %v", err)
	}
	for _, id := range []string{"icc0", "icc2", "icc4", "icc5"} {
		if err := m.DetachAll(ctx, id+h.suffix); err != nil {
			t.Fatal(err)
		}
	}
	_ = a
	if err := m.RemoveNetwork(ctx, n.ID); err != nil {
		t.Fatal(err)
	}
	if out := nftList(t, "bridge", h.cfg.NftTable); strings.Contains(out, "vethbt") {
		t.Errorf("noicc element left:\n%s", out)
	}
}

func TestInternalNetwork(t *testing.T) {
	h, m := userNetHarness(t)
	ctx := context.Background()
	in, err := m.CreateNetwork(ctx, CreateOptions{Name: "int" + h.suffix, Internal: true})
	if err != nil {
		t.Fatal(err)
	}
	ext, err := m.CreateNetwork(ctx, CreateOptions{Name: "ext" + h.suffix})
	if err != nil {
		t.Fatal(err)
	}
	nsA, nsB, nsC := h.netns("n1"), h.netns("n2"), h.netns("n3")
	a, err := m.Attach(ctx, AttachRequest{ContainerID: "in1" + h.suffix, NetNSPath: nsA, Network: in.Name,
		PortBindings: network.PortMap{network.MustParsePort("80/tcp"): nil}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Attach(ctx, AttachRequest{ContainerID: "in2" + h.suffix, NetNSPath: nsB, Network: in.Name})
	if err != nil {
		t.Fatal(err)
	}
	c, err := m.Attach(ctx, AttachRequest{ContainerID: "in3" + h.suffix, NetNSPath: nsC, Network: ext.Name})
	if err != nil {
		t.Fatal(err)
	}
	if a.Gateway.IsValid() || len(a.Ports[network.MustParsePort("80/tcp")]) != 0 {
		t.Errorf("internal endpoint has a gateway or published port: %+v", a)
	}
	if err := ping(nsA, b.IP.Addr()); err != nil {
		t.Errorf("internal network, container to container: %v", err)
	}
	if out, _ := inNS(nsA, "ip", "route"); strings.Contains(out, "default") {
		t.Errorf("internal container has a default route: %s", out)
	}
	// Even with a route added by hand, nothing leaves the network.
	gw, _ := m.GetNetwork(in.Name)
	inNS(nsA, "ip", "route", "add", "default", "via", gw.IPAM[0].Gateway)
	if err := ping(nsA, c.IP.Addr()); err == nil {
		t.Error("internal container reached another network")
	}
	if err := ping(nsC, a.IP.Addr()); err == nil {
		t.Error("another network reached an internal container")
	}
	// Nor does it reach the host itself: not its address on the bridge,
	// not another of its addresses, not over TCP.
	gwAddr := netip.MustParseAddr(gw.IPAM[0].Gateway)
	if err := ping(nsA, gwAddr); err == nil {
		t.Error("internal container pinged the host's address on its bridge")
	}
	l, err := net.Listen("tcp", gwAddr.String()+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("hello\n"))
			c.Close()
		}
	}()
	if out, err := inNS(nsA, "busybox", "timeout", "2", "busybox", "nc", gwAddr.String(), fmt.Sprint(l.Addr().(*net.TCPAddr).Port)); strings.Contains(out, "hello") {
		t.Errorf("internal container reached a host TCP service on %s: %v %q", l.Addr(), err, out)
	}
	// The control: the same probe works on a normal network (retried, a
	// busy machine may lose the first neighbour resolution).
	err = ping(nsC, c.Gateway)
	for i := 0; err != nil && i < 2; i++ {
		err = ping(nsC, c.Gateway)
	}
	if err != nil {
		t.Errorf("a container of a normal network cannot ping its gateway: %v", err)
	}
	// The host still reaches the internal containers (replies pass).
	if out, err := exec.Command("busybox", "ping", "-c1", "-W1", a.IP.Addr().String()).CombinedOutput(); err != nil {
		t.Errorf("host to internal container: %v %s", err, out)
	}
	for _, id := range []string{"in1", "in2", "in3"} {
		if err := m.DetachAll(ctx, id+h.suffix); err != nil {
			t.Fatal(err)
		}
	}
}

func TestIPv6DualStack(t *testing.T) {
	h, m := userNetHarness(t)
	ctx := context.Background()
	sub6 := fmt.Sprintf("fd00:b7:%s::/64", h.suffix[:4])
	n, err := m.CreateNetwork(ctx, CreateOptions{Name: "v6" + h.suffix, EnableIPv6: true, IPAM: []IPAMConfig{{Subnet: sub6}}})
	if err != nil {
		t.Fatal(err)
	}
	if !n.EnableIPv6 || !n.EnableIPv4 || len(n.IPAM) != 2 {
		t.Fatalf("dual stack network: %+v", n)
	}
	ns1, ns2 := h.netns("v1"), h.netns("v2")
	gw6 := netip.MustParsePrefix(sub6).Addr().Next()
	e1, err := m.Attach(ctx, AttachRequest{ContainerID: "v61" + h.suffix, NetNSPath: ns1, Network: n.Name,
		PortBindings: network.PortMap{network.MustParsePort("80/tcp"): {{HostIP: gw6}}, network.MustParsePort("81/tcp"): nil}})
	if err != nil {
		t.Fatal(err)
	}
	e2, err := m.Attach(ctx, AttachRequest{ContainerID: "v62" + h.suffix, NetNSPath: ns2, Network: n.Name})
	if err != nil {
		t.Fatal(err)
	}
	if !e1.IPv6.IsValid() || !netip.MustParsePrefix(sub6).Contains(e2.IPv6.Addr()) || e1.IPv6 == e2.IPv6 || e1.Gateway6 != netip.MustParsePrefix(sub6).Addr().Next() {
		t.Fatalf("v6 addresses: %v %v gw %v", e1.IPv6, e2.IPv6, e1.Gateway6)
	}
	if err := ping(ns1, e2.IPv6.Addr()); err != nil {
		t.Errorf("ping6 between containers: %v", err)
	}
	if err := ping(ns1, e1.Gateway6); err != nil {
		t.Errorf("ping6 to the gateway: %v", err)
	}
	// Published on an IPv6 address of the host, and on all addresses.
	listenIn(t, ns1, "tcp6", ":80")
	listenIn(t, ns1, "tcp6", ":81")
	if got, err := tcpHello6(netip.AddrPortFrom(e1.IPv6.Addr(), 80).String()); err != nil {
		t.Errorf("host -> container over IPv6: %q %v", got, err)
	}
	hp := hostPort(t, e1, "80/tcp")
	if got, err := tcpHello6("[" + gw6.String() + "]:" + hp); err != nil || !strings.Contains(got, e1.IPv6.Addr().String()) {
		t.Errorf("[%s]:%s -> container: %q %v", gw6, hp, got, err)
	}
	if b := e1.Ports[network.MustParsePort("81/tcp")]; len(b) != 2 || b[1].HostIP != netip.IPv6Unspecified() {
		t.Errorf("all-address binding of a dual-stack container: %+v", b)
	} else if got, err := tcpHello6("[" + gw6.String() + "]:" + b[1].HostPort); err != nil || !strings.Contains(got, e1.IPv6.Addr().String()) {
		t.Errorf("[%s]:%s (all addresses) -> container: %q %v", gw6, b[1].HostPort, got, err)
	}
	// [::1] is proxied in userland (the kernel drops DNATed replies to
	// ::1): to the IPv6 address of a dual-stack container ...
	e4, err := m.Attach(ctx, AttachRequest{ContainerID: "v64" + h.suffix, NetNSPath: h.netns("v4"), Network: n.Name,
		PortBindings: network.PortMap{network.MustParsePort("80/tcp"): {{HostIP: netip.IPv6Loopback()}}}})
	if err != nil {
		t.Fatal(err)
	}
	listenIn(t, h.dir+"/netns/v4", "tcp6", ":80")
	hp4 := hostPort(t, e4, "80/tcp")
	if got, err := tcpHello6("[::1]:" + hp4); err != nil || !strings.Contains(got, e4.IPv6.Addr().String()) {
		t.Errorf("[::1]:%s -> dual-stack container: %q %v", hp4, got, err)
	}
	// ... and to the IPv4 address of a container without IPv6.
	e3, err := m.Attach(ctx, AttachRequest{ContainerID: "v63" + h.suffix, NetNSPath: h.netns("v3"),
		PortBindings: network.PortMap{network.MustParsePort("80/tcp"): {{HostIP: netip.IPv6Loopback()}}}})
	if err != nil {
		t.Fatal(err)
	}
	listenIn(t, h.dir+"/netns/v3", "tcp", ":80")
	hp3 := hostPort(t, e3, "80/tcp")
	if got, err := tcpHello6("[::1]:" + hp3); err != nil || !strings.Contains(got, e3.IP.Addr().String()) {
		t.Errorf("[::1]:%s -> IPv4-only container: %q %v", hp3, got, err)
	}
	// The proxy stops with the endpoint.
	if err := m.DetachAll(ctx, "v63"+h.suffix); err != nil {
		t.Fatal(err)
	}
	if _, err := tcpHello6("[::1]:" + hp3); err == nil {
		t.Error("[::1] proxy still answers after detach")
	}
	// UDP on [::1] is relayed too.
	e5, err := m.Attach(ctx, AttachRequest{ContainerID: "v65" + h.suffix, NetNSPath: h.netns("v5"),
		PortBindings: network.PortMap{network.MustParsePort("53/udp"): {{HostIP: netip.IPv6Loopback()}}}})
	if err != nil {
		t.Fatalf("udp on [::1]: %v", err)
	}
	listenIn(t, h.dir+"/netns/v5", "udp", ":53")
	hp5 := hostPort(t, e5, "53/udp")
	if got, err := udpEchoNet("udp6", "[::1]:"+hp5, "ping"); err != nil || got != "echo:ping" {
		t.Errorf("udp [::1]:%s: %q %v", hp5, got, err)
	}
	if err := m.DetachAll(ctx, "v65"+h.suffix); err != nil {
		t.Fatal(err)
	}
	h.assertNoEndpoint(m, "v65"+h.suffix)
	// Another IPv6 host address (the dual-stack bridge's gateway) in front
	// of an IPv4-only container: proxied as well, as docker-proxy does.
	e7, err := m.Attach(ctx, AttachRequest{ContainerID: "v67" + h.suffix, NetNSPath: h.netns("v7"),
		PortBindings: network.PortMap{network.MustParsePort("80/tcp"): {{HostIP: gw6}}}})
	if err != nil {
		t.Fatalf("IPv6 host address, IPv4-only container: %v", err)
	}
	listenIn(t, h.dir+"/netns/v7", "tcp", ":80")
	hp7 := hostPort(t, e7, "80/tcp")
	if got, err := tcpHello6("[" + gw6.String() + "]:" + hp7); err != nil || !strings.Contains(got, e7.IP.Addr().String()) {
		t.Errorf("[%s]:%s -> IPv4-only container: %q %v", gw6, hp7, got, err)
	}
	if err := m.DetachAll(ctx, "v67"+h.suffix); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"v61", "v62", "v64"} {
		if err := m.DetachAll(ctx, id+h.suffix); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.RemoveNetwork(ctx, n.ID); err != nil {
		t.Fatal(err)
	}
}

func tcpHello6(addr string) (string, error) {
	conn, err := net.DialTimeout("tcp6", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 200)
	n, err := conn.Read(buf)
	return strings.TrimSpace(string(buf[:n])), err
}

// vethParent creates a veth pair on the host to serve as a macvlan parent.
func vethParent(t *testing.T, h *harness) string {
	t.Helper()
	name := "btp" + h.suffix
	v := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name, Flags: net.FlagUp}, PeerName: "btq" + h.suffix}
	if err := netlink.LinkAdd(v); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { netlink.LinkDel(v) })
	peer, _ := netlink.LinkByName("btq" + h.suffix)
	netlink.LinkSetUp(peer)
	return name
}

func TestMacvlanBridgeMode(t *testing.T) {
	h, m := userNetHarness(t)
	ctx := context.Background()
	parent := vethParent(t, h)
	n, err := m.CreateNetwork(ctx, CreateOptions{Name: "mv" + h.suffix, Driver: "macvlan", Options: map[string]string{"parent": parent},
		IPAM: []IPAMConfig{{Subnet: h.subnet(1)}}})
	if err != nil {
		t.Fatal(err)
	}
	ns1, ns2 := h.netns("m1"), h.netns("m2")
	e1, err := m.Attach(ctx, AttachRequest{ContainerID: "mv1" + h.suffix, NetNSPath: ns1, Network: n.Name})
	if err != nil {
		t.Fatal(err)
	}
	e2, err := m.Attach(ctx, AttachRequest{ContainerID: "mv2" + h.suffix, NetNSPath: ns2, Network: n.Name, MacAddress: "02:42:aa:bb:cc:dd"})
	if err != nil {
		t.Fatal(err)
	}
	if out, err := inNS(ns2, "ip", "-o", "-d", "link", "show", "eth0"); err != nil || !strings.Contains(out, "macvlan mode bridge") || !strings.Contains(out, "02:42:aa:bb:cc:dd") {
		t.Errorf("eth0 in m2: %v %s", err, out)
	}
	if err := ping(ns1, e2.IP.Addr()); err != nil {
		t.Errorf("macvlan ping: %v", err)
	}
	if e1.HostVeth != "" {
		t.Errorf("macvlan endpoint has a host veth %s", e1.HostVeth)
	}
	if _, err := m.CreateNetwork(ctx, CreateOptions{Name: "mvx" + h.suffix, Driver: "macvlan", Options: map[string]string{"parent": "nosuch" + h.suffix}}); !errdefs.IsInvalidParameter(err) {
		t.Errorf("missing parent: %v", err)
	}
	for _, id := range []string{"mv1", "mv2"} {
		if err := m.DetachAll(ctx, id+h.suffix); err != nil {
			t.Fatal(err)
		}
	}
	if out, _ := inNS(ns1, "ip", "-o", "link"); strings.Contains(out, "eth0") {
		t.Errorf("macvlan left in namespace after detach: %s", out)
	}
	if err := m.RemoveNetwork(ctx, n.Name); err != nil {
		t.Fatal(err)
	}
}

// TestIPvlanAndVLANUnsupported: this kernel has neither CONFIG_IPVLAN nor
// CONFIG_VLAN_8021Q; network create must say so and leave nothing.
func TestIPvlanAndVLANUnsupported(t *testing.T) {
	h, m := userNetHarness(t)
	ctx := context.Background()
	parent := vethParent(t, h)
	before, _ := netlink.LinkList()
	ipamBefore := ipamCount(m)
	cases := []struct {
		o    CreateOptions
		want string
	}{
		{CreateOptions{Name: "iv" + h.suffix, Driver: "ipvlan", Options: map[string]string{"parent": parent, "ipvlan_mode": "l3"}}, "CONFIG_IPVLAN"},
		{CreateOptions{Name: "iv" + h.suffix, Driver: "ipvlan", Options: map[string]string{"parent": parent}}, "CONFIG_IPVLAN"},
		{CreateOptions{Name: "vl" + h.suffix, Driver: "macvlan", Options: map[string]string{"parent": parent + ".50"}}, "CONFIG_VLAN_8021Q"},
		// The tutorials' multi-subnet networks: the missing kernel
		// feature is what they hit, not the subnets.
		{CreateOptions{Name: "ipvlan210" + h.suffix, Driver: "ipvlan", Options: map[string]string{"ipvlan_mode": "l2"}, IPAM: []IPAMConfig{
			{Subnet: "192.168.210.0/24", Gateway: "192.168.210.254"}, {Subnet: "192.168.212.0/24", Gateway: "192.168.212.254"}}}, "CONFIG_IPVLAN"},
		{CreateOptions{Name: "macvlan216" + h.suffix, Driver: "macvlan", Options: map[string]string{"parent": parent + ".218", "macvlan_mode": "bridge"}, IPAM: []IPAMConfig{
			{Subnet: "192.168.216.0/24", Gateway: "192.168.216.1"}, {Subnet: "192.168.218.0/24", Gateway: "192.168.218.1"},
			{Subnet: "2001:db8:abc8::/64", Gateway: "2001:db8:abc8::10"}}}, "CONFIG_VLAN_8021Q"},
		// No parent: a dummy interface of the network's own.
		{CreateOptions{Name: "dm" + h.suffix, Driver: "macvlan"}, "CONFIG_DUMMY"},
	}
	for _, c := range cases {
		_, err := m.CreateNetwork(ctx, c.o)
		if probeKernel(c.want) {
			t.Logf("kernel has %s; %s created", c.want, c.o.Driver)
			if err != nil {
				t.Errorf("%s: %v", c.want, err)
			}
			continue
		}
		t.Logf("%s -o %v: %v", c.o.Driver, c.o.Options, err)
		if !errdefs.IsNotImplemented(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s network: err = %v, want %s", c.o.Driver, err, c.want)
		}
	}
	if _, err := m.CreateNetwork(ctx, CreateOptions{Name: "bad" + h.suffix, Driver: "ipvlan", Options: map[string]string{"parent": parent, "ipvlan_mode": "l9"}}); !errdefs.IsInvalidParameter(err) {
		t.Errorf("bad ipvlan mode: %v", err)
	}
	// Other processes may add links meanwhile: look for ours only (the
	// probe and container devices "bp…"/"bv…", the 802.1q parent).
	known := map[string]bool{}
	for _, l := range before {
		known[l.Attrs().Name] = true
	}
	after, _ := netlink.LinkList()
	for _, l := range after {
		name := l.Attrs().Name
		if !known[name] && (strings.HasPrefix(name, "bp") || strings.HasPrefix(name, "bv") || strings.HasPrefix(name, "dm-") || strings.HasPrefix(name, parent)) {
			t.Errorf("device %s left after the failed creates", name)
		}
	}
	if n := ipamCount(m); n != ipamBefore {
		t.Errorf("IPAM buckets: %d before, %d after the failed creates", ipamBefore, n)
	}
	if _, err := netlink.LinkByName(parent + ".50"); err == nil {
		t.Errorf("802.1q parent %s.50 exists", parent)
	}
	if n := len(m.Networks()); n != 3 {
		t.Errorf("%d networks after failed creates, want 3", n)
	}
}

// probeKernel reports whether the kernel has the feature after all (then
// the test checks success instead).
func probeKernel(feature string) bool {
	mod := map[string]string{"CONFIG_IPVLAN": "ipvlan", "CONFIG_VLAN_8021Q": "8021q", "CONFIG_DUMMY": "dummy"}[feature]
	out, _ := exec.Command("sh", "-c", "grep -w "+mod+" /proc/modules; ls /sys/module/"+mod+" 2>/dev/null").Output()
	return len(strings.TrimSpace(string(out))) > 0
}
