package network

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// bridgeDriver connects containers to a Linux bridge with veth pairs.
type bridgeDriver struct {
	name string
	// addrs are the bridge's addresses: each subnet's gateway with the
	// subnet length, IPv4 first.
	addrs []netip.Prefix
	mtu   int
	// keep: the bridge existed before the network (adopted); Teardown
	// leaves it and only removes the addresses we gave it.
	keep    bool
	ifindex int

	// Deleting a veth waits for an RCU grace period in the kernel (10-20
	// ms), so Leave does it in the background; pending lets Teardown and
	// tests wait for it.
	pending sync.WaitGroup
}

func (d *bridgeDriver) Setup(ctx context.Context) error {
	link, err := netlink.LinkByName(d.name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if !errors.As(err, &nf) {
			return fmt.Errorf("look up bridge %s: %w", d.name, err)
		}
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: d.name, MTU: d.mtu, TxQLen: -1}}
		if err := netlink.LinkAdd(br); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("create bridge %s: %w", d.name, err)
		}
		if link, err = netlink.LinkByName(d.name); err != nil {
			return err
		}
	} else if link.Type() != "bridge" {
		return fmt.Errorf("%s exists and is not a bridge (%s)", d.name, link.Type())
	}
	if link.Attrs().MTU != d.mtu {
		if err := netlink.LinkSetMTU(link, d.mtu); err != nil {
			return fmt.Errorf("set bridge mtu: %w", err)
		}
	}
	for _, a := range d.addrs {
		if a.Addr().Is6() {
			if err := writeSysctl("net/ipv6/conf/"+d.name+"/disable_ipv6", "0"); err != nil {
				return err
			}
		}
		// No duplicate address detection: the address would stay
		// "tentative" (unusable) for a second after every start.
		addr := &netlink.Addr{IPNet: prefixToIPNet(a), Flags: unix.IFA_F_NODAD}
		if err := netlink.AddrReplace(link, addr); err != nil {
			return fmt.Errorf("set bridge address %s: %w", a, err)
		}
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return fmt.Errorf("bring up bridge: %w", err)
	}
	d.ifindex = link.Attrs().Index
	// 127.0.0.1 publishing: DNATed loopback packets may only be routed
	// out of an interface with route_localnet.
	return writeSysctl("net/ipv4/conf/"+d.name+"/route_localnet", "1")
}

func (d *bridgeDriver) Join(ctx context.Context, ep *endpointRecord) error {
	nsh, err := netns.GetFromPath(ep.NetNSPath)
	if err != nil {
		return fmt.Errorf("open netns %s: %w", ep.NetNSPath, err)
	}
	defer nsh.Close()
	mac, err := net.ParseMAC(ep.MacAddress)
	if err != nil {
		return fmt.Errorf("invalid MAC address %q: %w", ep.MacAddress, err)
	}
	// A leftover host veth of the same name (crash) would make LinkAdd fail.
	if old, err := netlink.LinkByName(ep.HostVeth); err == nil {
		_ = netlink.LinkDel(old)
	}
	// The peer is created directly inside the namespace under its final
	// name, which saves the move and rename round trips.
	veth := &netlink.Veth{
		LinkAttrs:        netlink.LinkAttrs{Name: ep.HostVeth, MTU: d.mtu, TxQLen: -1, Flags: net.FlagUp},
		PeerName:         ep.IfName,
		PeerHardwareAddr: mac,
		PeerNamespace:    netlink.NsFd(int(nsh)),
		PeerTxQLen:       -1,
	}
	veth.LinkAttrs.MasterIndex = d.ifindex
	if err := netlink.LinkAdd(veth); err != nil {
		return fmt.Errorf("create veth pair %s: %w", ep.HostVeth, err)
	}
	if err := netlink.LinkSetHairpin(veth, true); err != nil {
		return fmt.Errorf("set hairpin mode on %s: %w", ep.HostVeth, err)
	}
	h, err := netlink.NewHandleAt(nsh, unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer h.Close()
	peer, err := h.LinkByName(ep.IfName)
	if err != nil {
		return fmt.Errorf("find %s in container: %w", ep.IfName, err)
	}
	return configureInside(h, peer, ep)
}

// configureInside gives the container's interface its addresses, brings it
// up and adds the default routes (when the endpoint has gateways).
func configureInside(h *netlink.Handle, link netlink.Link, ep *endpointRecord) error {
	for _, a := range []netip.Prefix{ep.IP, ep.IP6} {
		if !a.IsValid() {
			continue
		}
		if err := h.AddrAdd(link, &netlink.Addr{IPNet: prefixToIPNet(a), Flags: unix.IFA_F_NODAD}); err != nil {
			return fmt.Errorf("set container address %s: %w", a, err)
		}
	}
	if err := h.LinkSetUp(link); err != nil {
		return fmt.Errorf("bring up %s: %w", ep.IfName, err)
	}
	for _, gw := range []netip.Addr{ep.Gateway, ep.Gateway6} {
		if !gw.IsValid() {
			continue
		}
		// A second network's default route must not replace the first
		// one's: it gets a higher metric, as with Docker.
		r := &netlink.Route{LinkIndex: link.Attrs().Index, Gw: net.IP(gw.AsSlice()), Priority: defaultRouteMetric(ep)}
		if gw.Is6() {
			r.Family = netlink.FAMILY_V6
		}
		if err := h.RouteAdd(r); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("add default route via %s: %w", gw, err)
		}
	}
	return nil
}

// defaultRouteMetric is 0 for eth0 and grows with the interface number.
func defaultRouteMetric(ep *endpointRecord) int {
	var n int
	if _, err := fmt.Sscanf(ep.IfName, "eth%d", &n); err != nil {
		return 0
	}
	return n
}

func (d *bridgeDriver) Leave(ctx context.Context, ep *endpointRecord) error {
	link, err := netlink.LinkByName(ep.HostVeth)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil // gone with its namespace
		}
		return err
	}
	// By index, not name: a new endpoint of the same container may reuse
	// the name before the background delete runs.
	idx := link.Attrs().Index
	d.pending.Add(1)
	go func() {
		defer d.pending.Done()
		_ = netlink.LinkDel(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: idx}})
	}()
	return nil
}

// wait blocks until background veth deletions are done.
func (d *bridgeDriver) wait() { d.pending.Wait() }

func (d *bridgeDriver) Teardown(ctx context.Context) error {
	d.wait()
	link, err := netlink.LinkByName(d.name)
	if err != nil {
		return nil
	}
	if link.Type() != "bridge" {
		return nil // never delete something that is not ours
	}
	if d.keep {
		for _, a := range d.addrs {
			_ = netlink.AddrDel(link, &netlink.Addr{IPNet: prefixToIPNet(a)})
		}
		return nil
	}
	return netlink.LinkDel(link)
}

// hostVethName derives the host-side name from the container ID, so a
// leftover from a crash is found again ("vethbt" + 7 hex = 13 chars).
func hostVethName(containerID string) string {
	sum := sha256.Sum256([]byte(containerID))
	return "vethbt" + hex.EncodeToString(sum[:])[:7]
}

// macFromIP is Docker's classic 02:42:<ipv4> address.
func macFromIP(ip netip.Addr) string {
	b := ip.As4()
	return net.HardwareAddr{0x02, 0x42, b[0], b[1], b[2], b[3]}.String()
}

func prefixToIPNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

func writeSysctl(key, val string) error {
	path := "/proc/sys/" + key
	if cur, err := os.ReadFile(path); err == nil && string(cur) == val+"\n" {
		return nil
	}
	if err := os.WriteFile(path, []byte(val), 0o644); err != nil {
		return fmt.Errorf("sysctl %s=%s: %w", key, val, err)
	}
	return nil
}
