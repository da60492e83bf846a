package network

import (
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
)

// TestOverlayOnNode: a cluster network made present on this node is a
// bridge with the cluster's subnet; peers give it a VXLAN port flooding to
// them (and the gateway's ARP filter), services give its containers their
// names and VIPs, and it goes with its last container. The "peer" is a
// namespace of the test's own, so nothing leaves the machine.
func TestOverlayOnNode(t *testing.T) {
	h, m := userNetHarness(t)
	ctx := context.Background()
	third := int(h.suffix[1])%200 + 20
	sub := func(host int) string { return fmt.Sprintf("10.117.%d.%d", third, host) }
	id := "ov" + h.suffix + strings.Repeat("0", 25-2-len(h.suffix))
	ov := OverlayNetwork{ID: id, Name: "ov-" + h.suffix, VNI: 5000 + uint32(third), Subnet: sub(0) + "/24", Gateway: sub(1)}
	for range 2 { // idempotent
		if err := m.EnsureOverlay(ctx, ov); err != nil {
			t.Fatal(err)
		}
	}
	n, err := m.GetNetwork(id)
	if err != nil {
		t.Fatal(err)
	}
	if n.Driver != "overlay" || n.Scope != "swarm" || n.Options["com.docker.network.driver.overlay.vxlanid_list"] != fmt.Sprint(ov.VNI) || n.Options[OptMTU] != "1450" {
		t.Errorf("network view: %+v", n)
	}
	vx := vxlanName(id)
	if linkExists(vx) {
		t.Errorf("VXLAN port %s made without peers", vx)
	}

	// A peer: a namespace behind a veth of the test's own.
	peerNS := h.netns("peer")
	veth := "btovp" + h.suffix
	local, peer := fmt.Sprintf("10.118.%d.1", third), fmt.Sprintf("10.118.%d.2", third)
	for _, args := range [][]string{
		{"ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", peerNS},
		{"ip", "addr", "add", local + "/30", "dev", veth},
		{"ip", "link", "set", veth, "up"},
		{"nsenter", "--net=" + peerNS, "ip", "addr", "add", peer + "/30", "dev", "eth0"},
		{"nsenter", "--net=" + peerNS, "ip", "link", "set", "eth0", "up"},
	} {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v %s", args, err, out)
		}
	}
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", veth).Run() })
	if err := m.SetOverlayPeers(ctx, id, netip.MustParseAddr(local), []netip.Addr{netip.MustParseAddr(peer), netip.MustParseAddr(local)}); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command("ip", "-d", "link", "show", vx).CombinedOutput()
	if !strings.Contains(string(out), fmt.Sprintf("vxlan id %d", ov.VNI)) || !strings.Contains(string(out), "master "+n.Options[OptBridgeName]) && !strings.Contains(string(out), "master bb-") {
		t.Errorf("VXLAN port:\n%s", out)
	}
	fdb, _ := exec.Command("bridge", "fdb", "show", "dev", vx).CombinedOutput()
	if !strings.Contains(string(fdb), "00:00:00:00:00:00 dst "+peer) || strings.Contains(string(fdb), "dst "+local) {
		t.Errorf("flood list (the peer only, never ourselves):\n%s", fdb)
	}
	arp, _ := exec.Command("nft", "list", "table", "bridge", m.overlayARPTable()).CombinedOutput()
	if !strings.Contains(string(arp), fmt.Sprintf("oifname %q arp daddr ip %s drop", vx, sub(1))) {
		t.Errorf("gateway ARP filter:\n%s", arp)
	}

	// A task and a client with the cluster's addresses; the service's VIP.
	taskNS, clientNS := h.netns("task"), h.netns("client")
	task, client := "ovtask-"+h.suffix, "ovclient-"+h.suffix
	for _, c := range []struct {
		id, ns string
		ip     string
	}{{task, taskNS, sub(5)}, {client, clientNS, sub(6)}} {
		ep, err := m.Attach(ctx, AttachRequest{ContainerID: c.id, ContainerName: c.id, NetNSPath: c.ns, Network: id, IPv4: netip.MustParseAddr(c.ip)})
		if err != nil {
			t.Fatal(err)
		}
		if ep.IP.Addr().String() != c.ip {
			t.Errorf("%s got %s, want the cluster's %s", c.id, ep.IP, c.ip)
		}
	}
	serveTaskIn(t, taskNS, "task")
	vip := netip.MustParseAddr(sub(2))
	recs := []ServiceRecord{{ID: "s1", Name: "web", Aliases: []string{"www"}, VIP: vip, Tasks: []netip.Addr{netip.MustParseAddr(sub(5))}},
		{ID: "s2", Name: "rr", Tasks: []netip.Addr{netip.MustParseAddr(sub(8)), netip.MustParseAddr(sub(7))}}}
	if err := m.SetOverlayServices(ctx, id, recs); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, want string }{
		{"web", sub(2)}, {"WWW", sub(2)}, {"web." + ov.Name, sub(2)}, {"tasks.web", sub(5)},
		{"rr", sub(7) + " " + sub(8)}, {"tasks.rr", sub(7) + " " + sub(8)}, {"nosuch", ""},
	} {
		v4, _ := m.ResolveName(client, c.name)
		var got []string
		for _, a := range v4 {
			got = append(got, a.String())
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("resolve %s: %v, want %q", c.name, got, c.want)
		}
	}
	if out, err := inNS(clientNS, "busybox", "nc", "-w", "2", vip.String(), "80"); err != nil || strings.TrimSpace(out) != "task" {
		t.Errorf("VIP from the client: %v %q", err, out)
	}

	// Release with containers: it stays until the last one goes.
	if err := m.ReleaseOverlay(ctx, id); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{task, client} {
		if err := m.DetachAll(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.GetNetwork(id); err == nil {
		t.Error("overlay still present after its last container left")
	}
	if linkExists(vx) {
		t.Errorf("VXLAN port %s left", vx)
	}
	if out, _ := exec.Command("nft", "list", "tables").CombinedOutput(); strings.Contains(string(out), m.overlayARPTable()) {
		t.Errorf("ARP filter table left:\n%s", out)
	}
}
