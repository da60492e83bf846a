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
	name    string
	addr    netip.Prefix // bridge address = gateway, with the subnet length
	mtu     int
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
	addr := &netlink.Addr{IPNet: prefixToIPNet(d.addr)}
	if err := netlink.AddrReplace(link, addr); err != nil {
		return fmt.Errorf("set bridge address %s: %w", d.addr, err)
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
		PeerName:         "eth0",
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
	peer, err := h.LinkByName("eth0")
	if err != nil {
		return fmt.Errorf("find eth0 in container: %w", err)
	}
	if err := h.AddrAdd(peer, &netlink.Addr{IPNet: prefixToIPNet(ep.IP)}); err != nil {
		return fmt.Errorf("set container address %s: %w", ep.IP, err)
	}
	if err := h.LinkSetUp(peer); err != nil {
		return fmt.Errorf("bring up eth0: %w", err)
	}
	gw := net.IP(ep.Gateway.AsSlice())
	if err := h.RouteAdd(&netlink.Route{LinkIndex: peer.Attrs().Index, Gw: gw}); err != nil {
		return fmt.Errorf("add default route via %s: %w", ep.Gateway, err)
	}
	return nil
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
