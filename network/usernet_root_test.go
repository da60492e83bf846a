package network

import (
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"testing"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/network"
	bolt "go.etcd.io/bbolt"
)

// userNetHarness starts a Manager whose Shutdown and leak check run at the
// end of the test.
func userNetHarness(t *testing.T) (*harness, *Manager) {
	h := newHarness(t)
	h.cur = h.newManager()
	t.Cleanup(func() {
		m := h.cur
		ifaces := m.ourIfaces()
		if err := m.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
		h.assertClean()
		for _, name := range ifaces {
			if linkExists(name) {
				t.Errorf("device %s left after Shutdown", name)
			}
		}
	})
	return h, h.cur
}

// restart is a daemon restart without live-restore cleanup: Close + New.
func (h *harness) restart() *Manager {
	h.t.Helper()
	if err := h.cur.Close(); err != nil {
		h.t.Fatal(err)
	}
	h.cur = h.newManager()
	return h.cur
}

// ourIfaces lists the host devices of every bridge network.
func (m *Manager) ourIfaces() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.bridgesLocked()
}

func ping(ns string, ip netip.Addr) error {
	args := []string{"busybox", "ping", "-c1", "-W1", ip.String()}
	if ip.Is6() {
		args = []string{"busybox", "ping6", "-c1", "-W1", ip.String()}
	}
	// A fresh port may lose the very first packet while the kernel
	// settles (neighbour discovery, link-local DAD of the bridge), more
	// so on a loaded machine: three tries of one packet each, as a user's
	// first ping would be followed by a second.
	var err error
	var out string
	for try := 0; try < 3; try++ {
		if out, err = inNS(ns, args...); err == nil {
			return nil
		}
	}
	return fmt.Errorf("%v: %s", err, strings.TrimSpace(out))
}

func (h *harness) subnet(i int) string {
	return fmt.Sprintf("10.117.%d.0/24", (int(h.suffix[2])%40)*5+i)
}

func TestUserBridgeNetworks(t *testing.T) {
	h, m := userNetHarness(t)
	ctx := context.Background()

	// Bad input first: nothing of it may remain.
	gw := strings.TrimSuffix(h.subnet(0), "0/24") + "1"
	badCases := []struct {
		name  string
		o     CreateOptions
		class func(error) bool
		msg   string
	}{
		{"unknown driver", CreateOptions{Name: "x" + h.suffix, Driver: "nope"}, errdefs.IsNotFound, `plugin "nope" not found`},
		{"gateway outside", CreateOptions{Name: "x" + h.suffix, IPAM: []IPAMConfig{{Subnet: h.subnet(0), Gateway: "10.1.2.3"}}}, errdefs.IsInvalidParameter, "no matching subnet for gateway 10.1.2.3"},
		{"range outside", CreateOptions{Name: "x" + h.suffix, IPAM: []IPAMConfig{{Subnet: h.subnet(0), IPRange: "10.1.2.0/28"}}}, errdefs.IsInvalidParameter, "no matching subnet for range"},
		{"unmasked subnet", CreateOptions{Name: "x" + h.suffix, IPAM: []IPAMConfig{{Subnet: gw + "/24"}}}, errdefs.IsInvalidParameter, "it should be"},
		{"overlaps default bridge", CreateOptions{Name: "x" + h.suffix, IPAM: []IPAMConfig{{Subnet: h.cfg.BridgeIP[:strings.LastIndex(h.cfg.BridgeIP, ".")] + ".128/25"}}}, errdefs.IsForbidden, "Pool overlaps with other one on this address space"},
	}
	for _, c := range badCases {
		if _, err := m.CreateNetwork(ctx, c.o); !c.class(err) || !strings.Contains(fmt.Sprint(err), c.msg) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.msg)
		}
	}
	if n := len(m.Networks()); n != 3 {
		t.Fatalf("after bad input: %d networks, want the 3 predefined", n)
	}

	a, err := m.CreateNetwork(ctx, CreateOptions{Name: "a" + h.suffix, Labels: map[string]string{"l": "v"},
		IPAM: []IPAMConfig{{Subnet: h.subnet(0), IPRange: strings.TrimSuffix(h.subnet(0), "0/24") + "128/25", AuxAddress: map[string]string{"r": strings.TrimSuffix(h.subnet(0), "0/24") + "130"}}}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.CreateNetwork(ctx, CreateOptions{Name: "b" + h.suffix}) // from the pools
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.IPAM[0].Subnet, "10.116.") || !linkExists("bb-"+b.ID[:12]) {
		t.Errorf("network b: %+v", b)
	}
	if _, err := m.CreateNetwork(ctx, CreateOptions{Name: "a" + h.suffix}); !errdefs.IsConflict(err) || err.Error() != "network with name a"+h.suffix+" already exists" {
		t.Errorf("duplicate name: %v", err)
	}
	if _, err := m.CreateNetwork(ctx, CreateOptions{Name: "c" + h.suffix, IPAM: []IPAMConfig{{Subnet: h.subnet(0)}}}); !errdefs.IsForbidden(err) {
		t.Errorf("overlapping subnet: %v", err)
	}
	for _, q := range []string{a.ID, a.Name, a.ID[:10]} {
		if got, err := m.GetNetwork(q); err != nil || got.ID != a.ID || got.Labels["l"] != "v" {
			t.Errorf("GetNetwork(%s): %+v %v", q, got, err)
		}
	}
	if _, err := m.GetNetwork("nosuch" + h.suffix); !errdefs.IsNotFound(err) || err.Error() != "network nosuch"+h.suffix+" not found" {
		t.Errorf("unknown network: %v", err)
	}
	if err := m.RemoveNetwork(ctx, "bridge"); !errdefs.IsForbidden(err) || err.Error() != "bridge is a pre-defined network and cannot be removed" {
		t.Errorf("rm bridge: %v", err)
	}

	ns1, ns2, ns3 := h.netns("u1"), h.netns("u2"), h.netns("u3")
	attach := func(id, ns, netw string, ip netip.Addr, ports network.PortMap) *Endpoint {
		t.Helper()
		ep, err := m.Attach(ctx, AttachRequest{ContainerID: id + h.suffix, ContainerName: "/" + id, NetNSPath: ns, Network: netw, IPv4: ip, PortBindings: ports, Aliases: []string{id + "-alias"}})
		if err != nil {
			t.Fatalf("attach %s to %s: %v", id, netw, err)
		}
		return ep
	}
	static := netip.MustParseAddr(strings.TrimSuffix(h.subnet(0), "0/24") + "200")
	e1 := attach("c1", ns1, a.Name, netip.Addr{}, nil)
	e2 := attach("c2", ns2, a.ID, static, nil)
	e3 := attach("c3", ns3, b.Name, netip.Addr{}, network.PortMap{network.MustParsePort("80/tcp"): {{HostIP: netip.MustParseAddr("127.0.0.1")}}, network.MustParsePort("81/tcp"): nil})
	// The range is honoured, the aux address and gateway are never given.
	if e1.IP.Addr().String() != strings.TrimSuffix(h.subnet(0), "0/24")+"128" || e2.IP.Addr() != static || e1.IfName != "eth0" {
		t.Errorf("addresses: e1 %v (%s) e2 %v", e1.IP, e1.IfName, e2.IP)
	}
	if _, err := m.Attach(ctx, AttachRequest{ContainerID: "c4" + h.suffix, NetNSPath: h.netns("u4"), Network: a.Name, IPv4: static}); !errdefs.IsConflict(err) {
		t.Errorf("static address twice: %v", err)
	}
	if _, err := m.Attach(ctx, AttachRequest{ContainerID: "c4" + h.suffix, NetNSPath: h.netns("u5"), Network: b.Name, IPv4: netip.MustParseAddr("10.116.0.9")}); !errdefs.IsInvalidParameter(err) ||
		!strings.Contains(err.Error(), "user configured subnets") {
		t.Errorf("--ip on a pool network: %v", err)
	}
	h.assertNoEndpoint(m, "c4"+h.suffix)

	if err := ping(ns1, e2.IP.Addr()); err != nil {
		t.Errorf("same network c1 -> c2: %v", err)
	}
	if err := ping(ns1, e3.IP.Addr()); err == nil {
		t.Error("c1 (network a) reached c3 (network b)")
	}
	if err := ping(ns3, e1.IP.Addr()); err == nil {
		t.Error("c3 (network b) reached c1 (network a)")
	}
	// c3's published port on 127.0.0.1.
	listenIn(t, ns3, "tcp", ":80")
	hp := hostPort(t, e3, "80/tcp")
	if got, err := tcpHello("127.0.0.1:" + hp); err != nil || !strings.Contains(got, e3.IP.Addr().String()) {
		t.Errorf("127.0.0.1:%s -> c3: %q %v", hp, got, err)
	}

	// c3's port on all addresses: from c1 on another network (through
	// its gateway), and hairpin from c3 itself.
	listenIn(t, ns3, "tcp", ":81")
	hp81 := hostPort(t, e3, "81/tcp")
	if out, err := inNS(ns1, "busybox", "nc", "-w", "2", e1.Gateway.String(), hp81); err != nil || !strings.Contains(out, "hello from "+e3.IP.Addr().String()) {
		t.Errorf("c1 -> published port of c3 on another network: %v %q", err, out)
	}
	if out, err := inNS(ns3, "busybox", "nc", "-w", "2", e3.Gateway.String(), hp81); err != nil || !strings.Contains(out, "hello from "+e3.IP.Addr().String()) {
		t.Errorf("hairpin on a user network: %v %q", err, out)
	}

	// Names: on shared user networks only.
	if v4, _ := m.ResolveName("c1"+h.suffix, "C2"); len(v4) != 1 || v4[0] != e2.IP.Addr() {
		t.Errorf("c1 resolves c2: %v", v4)
	}
	if v4, _ := m.ResolveName("c1"+h.suffix, "c2-alias."+a.Name); len(v4) != 1 {
		t.Errorf("c1 resolves c2-alias.%s: %v", a.Name, v4)
	}
	if v4, _ := m.ResolveName("c1"+h.suffix, "c3"); len(v4) != 0 {
		t.Errorf("c1 resolves c3 across networks: %v", v4)
	}
	if name, ok := m.ResolveAddr("c1"+h.suffix, e2.IP.Addr()); !ok || name != "c2."+a.Name {
		t.Errorf("reverse c2: %q %v", name, ok)
	}

	// Connect c1 to b too: eth1, then it reaches c3 and resolves it.
	e13 := attach("c1", ns1, b.Name, netip.Addr{}, nil)
	if e13.IfName != "eth1" {
		t.Errorf("second interface is %s", e13.IfName)
	}
	if err := ping(ns1, e3.IP.Addr()); err != nil {
		t.Errorf("after connect c1 -> c3: %v", err)
	}
	if eps := m.Endpoints("c1" + h.suffix); len(eps) != 2 || eps[0].NetworkName != a.Name || eps[1].NetworkName != b.Name {
		t.Errorf("endpoints of c1: %+v", eps)
	}
	insp, _ := m.GetNetwork(a.Name)
	if ei := insp.Endpoints["c2"+h.suffix]; ei.Name != "c2" || ei.IPv4Address != e2.IP.String() || ei.EndpointID == "" {
		t.Errorf("inspect endpoints: %+v", insp.Endpoints)
	}
	if err := m.RemoveNetwork(ctx, b.Name); !errdefs.IsForbidden(err) || !strings.Contains(err.Error(), "has active endpoints") {
		t.Errorf("rm with endpoints: %v", err)
	}
	if err := m.Detach(ctx, "c1"+h.suffix, b.ID); err != nil {
		t.Fatal(err)
	}
	if err := m.Detach(ctx, "c1"+h.suffix, b.ID); err != nil {
		t.Errorf("second detach: %v", err)
	}
	if out, err := inNS(ns1, "ip", "-o", "link", "show", "eth1"); err == nil {
		m.nets[b.ID].drv.wait()
		if out, err = inNS(ns1, "ip", "-o", "link", "show", "eth1"); err == nil {
			t.Errorf("eth1 still in c1 after disconnect: %s", out)
		}
	}

	// Restart: networks, endpoints and rules come back.
	m = h.restart()
	if got, err := m.GetNetwork(a.Name); err != nil || got.ID != a.ID || len(got.Endpoints) != 2 {
		t.Fatalf("after restart: %+v %v", got, err)
	}
	if err := ping(ns1, e2.IP.Addr()); err != nil {
		t.Errorf("after restart c1 -> c2: %v", err)
	}
	if err := ping(ns1, e3.IP.Addr()); err == nil {
		t.Error("after restart c1 reached c3")
	}
	if got, err := tcpHello("127.0.0.1:" + hp); err != nil || !strings.Contains(got, e3.IP.Addr().String()) {
		t.Errorf("after restart 127.0.0.1:%s -> c3: %q %v", hp, got, err)
	}
	// A new address never repeats one in use.
	e4 := attach("c5", h.netns("u6"), a.Name, netip.Addr{}, nil)
	if e4.IP == e1.IP || e4.IP == e2.IP {
		t.Errorf("address handed out twice after restart: %v", e4.IP)
	}
	for _, id := range []string{"c1", "c2", "c3", "c5"} {
		if err := m.DetachAll(ctx, id+h.suffix); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{a.Name, b.ID} {
		if err := m.RemoveNetwork(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	for _, dev := range []string{"bb-" + a.ID[:12], "bb-" + b.ID[:12]} {
		if linkExists(dev) {
			t.Errorf("bridge %s left after network rm", dev)
		}
	}
	for _, id := range []string{a.ID, b.ID} {
		if ipamHas(t, m.cfg.DB, id) {
			t.Errorf("IPAM state of network %s left after rm", id)
		}
	}
}

// ipamHas reports whether a network has IPAM state.
func ipamHas(t *testing.T, db *bolt.DB, key string) bool {
	t.Helper()
	found := false
	db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(ipamBucket); b != nil {
			found = b.Bucket([]byte(key)) != nil
		}
		return nil
	})
	return found
}

func nftList(t *testing.T, fam, table string) string {
	t.Helper()
	out, _ := exec.Command("nft", "list", "table", fam, table).Output()
	return string(out)
}
