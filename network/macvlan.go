package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// macvlan and ipvlan networks hang containers directly off a host
// interface (the "parent"): no bridge, no NAT, no rules of ours. A parent
// like "eth0.50" is an 802.1q sub-interface, created with the network when
// missing and removed with it.

// subDriver implements netDriver for macvlan and ipvlan.
type subDriver struct {
	kind   string // "macvlan" or "ipvlan"
	parent string
	mode   string // macvlan: bridge|private|vepa|passthru; ipvlan: l2|l3|l3s
	mtu    int
	// createParent: parent is NAME.VID and did not exist (or we made it).
	createParent bool
	// dummy: no -o parent was given; like Docker the network hangs off a
	// dummy interface of its own ("dm-<12 hex of the ID>"), so its
	// containers reach each other and nothing else.
	dummy   bool
	rec     *netRecord
	pending sync.WaitGroup
}

func newSubDriver(r *netRecord, n *netw) (*subDriver, error) {
	d := &subDriver{kind: r.Driver, parent: r.Options["parent"], rec: r}
	if d.parent == "" {
		d.parent, d.dummy = "dm-"+r.ID[:12], true
	}
	if v := r.Options[OptMTU]; v != "" {
		d.mtu = n.mtu
	}
	switch r.Driver {
	case "macvlan":
		d.mode = r.Options["macvlan_mode"]
		if d.mode == "" {
			d.mode = "bridge"
		}
		if _, ok := macvlanModes[d.mode]; !ok {
			return nil, errdefs.InvalidParameter("requested macvlan mode '%s' is not valid, 'bridge' mode is the macvlan driver default", d.mode)
		}
	case "ipvlan":
		d.mode = r.Options["ipvlan_mode"]
		if d.mode == "" {
			d.mode = "l2"
		}
		if _, ok := ipvlanModes[d.mode]; !ok {
			return nil, errdefs.InvalidParameter("requested ipvlan mode '%s' is not valid, 'l2' mode is the ipvlan driver default", d.mode)
		}
	}
	return d, nil
}

var macvlanModes = map[string]netlink.MacvlanMode{
	"bridge": netlink.MACVLAN_MODE_BRIDGE, "private": netlink.MACVLAN_MODE_PRIVATE,
	"vepa": netlink.MACVLAN_MODE_VEPA, "passthru": netlink.MACVLAN_MODE_PASSTHRU,
}

var ipvlanModes = map[string]netlink.IPVlanMode{"l2": netlink.IPVLAN_MODE_L2, "l3": netlink.IPVLAN_MODE_L3, "l3s": netlink.IPVLAN_MODE_L3S}

// vlanParent splits "eth0.50" into the link and VLAN ID.
func vlanParent(parent string) (link string, vid int, ok bool) {
	i := strings.LastIndexByte(parent, '.')
	if i <= 0 {
		return "", 0, false
	}
	id, err := strconv.Atoi(parent[i+1:])
	if err != nil || id < 1 || id > 4094 {
		return "", 0, false
	}
	return parent[:i], id, true
}

// vlanLink is the netlink request for an 802.1q sub-interface.
func vlanLink(name string, parentIndex, vid int) *netlink.Vlan {
	return &netlink.Vlan{LinkAttrs: netlink.LinkAttrs{Name: name, ParentIndex: parentIndex}, VlanId: vid, VlanProtocol: netlink.VLAN_PROTOCOL_8021Q}
}

// macvlanLink is the netlink request for a container's macvlan device.
func macvlanLink(name string, parentIndex, mtu int, mode string, mac net.HardwareAddr) *netlink.Macvlan {
	return &netlink.Macvlan{LinkAttrs: netlink.LinkAttrs{Name: name, ParentIndex: parentIndex, MTU: mtu, HardwareAddr: mac, TxQLen: -1}, Mode: macvlanModes[mode]}
}

// ipvlanLink is the netlink request for a container's ipvlan device.
func ipvlanLink(name string, parentIndex, mtu int, mode string) *netlink.IPVlan {
	return &netlink.IPVlan{LinkAttrs: netlink.LinkAttrs{Name: name, ParentIndex: parentIndex, MTU: mtu, TxQLen: -1}, Mode: ipvlanModes[mode], Flag: netlink.IPVLAN_FLAG_BRIDGE}
}

// kernelFeature maps "operation not supported" from creating a link of an
// unknown kind to an error naming the missing kernel option.
func kernelFeature(kind string, err error) error {
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.EOPNOTSUPP) && !strings.Contains(err.Error(), "operation not supported") {
		return err
	}
	switch kind {
	case "ipvlan":
		return errdefs.NotImplemented("ipvlan: the kernel has no ipvlan support (CONFIG_IPVLAN)")
	case "vlan":
		return errdefs.NotImplemented("802.1q: the kernel has no VLAN support (CONFIG_VLAN_8021Q)")
	case "macvlan":
		return errdefs.NotImplemented("macvlan: the kernel has no macvlan support (CONFIG_MACVLAN)")
	case "dummy":
		return errdefs.NotImplemented("a network without -o parent hangs off a dummy interface: the kernel has no dummy support (CONFIG_DUMMY)")
	}
	return err
}

// prepare runs at network create, before anything is stored: it finds or
// creates the parent and proves that the kernel can build the device, so
// an unsupported kind fails `network create` and leaves nothing behind.
func (d *subDriver) prepare(ctx context.Context) error {
	// Which kind the kernel lacks is the first thing to tell, before any
	// complaint about the parent.
	if err := probeKind(d.kind, d.mode); err != nil {
		return err
	}
	if d.dummy {
		d.createParent = true
		d.rec.CreatedParent = true
	} else if _, err := netlink.LinkByName(d.parent); err != nil {
		if _, _, ok := vlanParent(d.parent); !ok {
			return errdefs.InvalidParameter("-o parent interface was not found on the host: %s", d.parent)
		}
		d.createParent = true
		d.rec.CreatedParent = true
	}
	if err := d.Setup(ctx); err != nil {
		return err
	}
	parent, err := netlink.LinkByName(d.parent)
	if err != nil {
		_ = d.Teardown(ctx)
		return err
	}
	probe := "bp" + newID()[:12]
	var l netlink.Link
	if d.kind == "ipvlan" {
		l = ipvlanLink(probe, parent.Attrs().Index, 0, d.mode)
	} else {
		l = macvlanLink(probe, parent.Attrs().Index, 0, d.mode, nil)
	}
	if err := netlink.LinkAdd(l); err != nil {
		_ = d.Teardown(ctx)
		return kernelFeature(d.kind, fmt.Errorf("create %s device on %s: %w", d.kind, d.parent, err))
	}
	_ = netlink.LinkDel(l)
	return nil
}

// Setup creates the 802.1q parent when this network owns it.
func (d *subDriver) Setup(ctx context.Context) error {
	d.createParent = d.rec.CreatedParent
	if !d.createParent {
		return nil
	}
	if _, err := netlink.LinkByName(d.parent); err == nil {
		return nil
	}
	if d.dummy {
		l := &netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: d.parent, TxQLen: -1}}
		if err := netlink.LinkAdd(l); err != nil {
			return kernelFeature("dummy", fmt.Errorf("create dummy parent %s for %s: %w", d.parent, d.kind, err))
		}
		return netlink.LinkSetUp(l)
	}
	base, vid, _ := vlanParent(d.parent)
	bl, err := netlink.LinkByName(base)
	if err != nil {
		return errdefs.InvalidParameter("-o parent interface was not found on the host: %s", base)
	}
	v := vlanLink(d.parent, bl.Attrs().Index, vid)
	if err := netlink.LinkAdd(v); err != nil {
		return kernelFeature("vlan", fmt.Errorf("create 802.1q interface %s: %w", d.parent, err))
	}
	return netlink.LinkSetUp(v)
}

func (d *subDriver) Join(ctx context.Context, ep *endpointRecord) error {
	parent, err := netlink.LinkByName(d.parent)
	if err != nil {
		return errdefs.InvalidParameter("-o parent interface was not found on the host: %s", d.parent)
	}
	nsh, err := netns.GetFromPath(ep.NetNSPath)
	if err != nil {
		return fmt.Errorf("open netns %s: %w", ep.NetNSPath, err)
	}
	defer nsh.Close()
	mac, err := net.ParseMAC(ep.MacAddress)
	if err != nil {
		return fmt.Errorf("invalid MAC address %q: %w", ep.MacAddress, err)
	}
	// Created under a temporary name, then moved and renamed: the final
	// name may exist on the host.
	tmp := "bv" + newID()[:12]
	var l netlink.Link
	if d.kind == "ipvlan" {
		l = ipvlanLink(tmp, parent.Attrs().Index, d.mtu, d.mode)
	} else {
		l = macvlanLink(tmp, parent.Attrs().Index, d.mtu, d.mode, mac)
	}
	if err := netlink.LinkAdd(l); err != nil {
		return kernelFeature(d.kind, fmt.Errorf("create %s device on %s: %w", d.kind, d.parent, err))
	}
	if err := netlink.LinkSetNsFd(l, int(nsh)); err != nil {
		_ = netlink.LinkDel(l)
		return fmt.Errorf("move %s into the container: %w", d.kind, err)
	}
	h, err := netlink.NewHandleAt(nsh, unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer h.Close()
	inside, err := h.LinkByName(tmp)
	if err != nil {
		return fmt.Errorf("find %s in container: %w", tmp, err)
	}
	if err := h.LinkSetName(inside, ep.IfName); err != nil {
		_ = h.LinkDel(inside)
		return fmt.Errorf("rename %s to %s: %w", tmp, ep.IfName, err)
	}
	if err := configureInside(h, inside, ep); err != nil {
		_ = h.LinkDel(inside)
		return err
	}
	return nil
}

// Leave deletes the container's device inside its namespace; a namespace
// that is already gone took the device with it.
func (d *subDriver) Leave(ctx context.Context, ep *endpointRecord) error {
	nsh, err := netns.GetFromPath(ep.NetNSPath)
	if err != nil {
		return nil
	}
	defer nsh.Close()
	h, err := netlink.NewHandleAt(nsh, unix.NETLINK_ROUTE)
	if err != nil {
		return nil
	}
	defer h.Close()
	if l, err := h.LinkByName(ep.IfName); err == nil && (l.Type() == "macvlan" || l.Type() == "ipvlan") {
		return h.LinkDel(l)
	}
	return nil
}

func (d *subDriver) wait() { d.pending.Wait() }

// Teardown removes the 802.1q parent if this network created it.
func (d *subDriver) Teardown(ctx context.Context) error {
	if !d.createParent {
		return nil
	}
	l, err := netlink.LinkByName(d.parent)
	if err != nil || (l.Type() != "vlan" && l.Type() != "dummy") {
		return nil
	}
	return netlink.LinkDel(l)
}

// probeKind asks the kernel for a device of kind on the loopback
// interface. The kernel refuses loopback as a parent (EINVAL) only after it
// has found the link kind; an unknown kind (module missing) answers
// EOPNOTSUPP first. Nothing is ever created.
func probeKind(kind, mode string) error {
	name := "bp" + newID()[:12]
	var l netlink.Link
	if kind == "ipvlan" {
		l = ipvlanLink(name, 1, 0, mode)
	} else {
		l = macvlanLink(name, 1, 0, mode, nil)
	}
	err := netlink.LinkAdd(l)
	if err == nil {
		_ = netlink.LinkDel(l) // cannot happen, but never leave one
		return nil
	}
	if errors.Is(err, unix.EOPNOTSUPP) {
		return kernelFeature(kind, fmt.Errorf("create %s device: %w", kind, err))
	}
	return nil
}
