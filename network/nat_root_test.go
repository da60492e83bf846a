package network

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// TestOutboundMasquerade sends a container's connection to an "outside"
// namespace the test creates (linked to the host by its own veth pair) and
// checks that the peer sees the host's address, not the container's.
func TestOutboundMasquerade(t *testing.T) {
	h := newHarness(t)
	m := h.newManager()
	ctx := context.Background()
	t.Cleanup(func() {
		if err := m.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		h.assertClean()
	})
	outNS := h.netns("outside")
	hostSide := "btout" + h.suffix
	third := int(h.suffix[1])%200 + 20
	hostAddr := netip.MustParsePrefix(fmt.Sprintf("10.114.%d.1/30", third))
	peerAddr := netip.MustParsePrefix(fmt.Sprintf("10.114.%d.2/30", third))

	nsh, err := netns.GetFromPath(outNS)
	if err != nil {
		t.Fatal(err)
	}
	defer nsh.Close()
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: hostSide, Flags: net.FlagUp}, PeerName: "eth0", PeerNamespace: netlink.NsFd(int(nsh))}
	if err := netlink.LinkAdd(veth); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { netlink.LinkDel(veth) })
	if err := netlink.AddrAdd(veth, &netlink.Addr{IPNet: prefixToIPNet(hostAddr)}); err != nil {
		t.Fatal(err)
	}
	nh, err := netlink.NewHandleAt(nsh)
	if err != nil {
		t.Fatal(err)
	}
	defer nh.Close()
	peer, err := nh.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	if err := nh.AddrAdd(peer, &netlink.Addr{IPNet: prefixToIPNet(peerAddr)}); err != nil {
		t.Fatal(err)
	}
	if err := nh.LinkSetUp(peer); err != nil {
		t.Fatal(err)
	}
	listenIn(t, outNS, "tcp", peerAddr.Addr().String()+":80")

	ctrNS := h.netns("ctr")
	ep, err := m.Attach(ctx, AttachRequest{ContainerID: "nat-" + h.suffix, NetNSPath: ctrNS})
	if err != nil {
		t.Fatal(err)
	}
	out, err := inNS(ctrNS, "busybox", "nc", "-w", "2", peerAddr.Addr().String(), "80")
	if err != nil {
		t.Fatalf("container -> outside: %v %q", err, out)
	}
	// The listener prints "hello from <local> to <remote>".
	if !strings.Contains(out, "to "+hostAddr.Addr().String()+":") || strings.Contains(out, ep.IP.Addr().String()) {
		t.Errorf("outside saw %q; want source %s (masqueraded), not %s", out, hostAddr.Addr(), ep.IP.Addr())
	}
	if err := m.DetachAll(ctx, "nat-"+h.suffix); err != nil {
		t.Fatal(err)
	}
}
