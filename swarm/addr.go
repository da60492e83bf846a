package swarm

import (
	"errors"
	"fmt"
	"net"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/vishvananda/netlink"
)

// interfaceAddr is the single global IPv4 address of an interface.
func interfaceAddr(name string) (net.IP, error) {
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return nil, err
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		return nil, err
	}
	var found []net.IP
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil && ipn.IP.IsGlobalUnicast() {
			found = append(found, ipn.IP)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("interface %s has no usable IPv4 address", name)
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("interface %s has more than one IPv4 address (%s and %s)", name, found[0], found[1])
}

// systemAddr is the address of the interface the default route goes out
// of, which is what dockerd advertises when nothing is given.
func systemAddr() (net.IP, error) {
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		return nil, err
	}
	for _, r := range routes {
		if r.Dst != nil && !r.Dst.IP.IsUnspecified() {
			continue
		}
		l, err := netlink.LinkByIndex(r.LinkIndex)
		if err != nil {
			continue
		}
		ip, err := interfaceAddr(l.Attrs().Name)
		if err != nil {
			return nil, errdefs.InvalidParameter("could not choose an IP address to advertise since this system has multiple addresses on interface %s", l.Attrs().Name)
		}
		return ip, nil
	}
	return nil, errdefs.InvalidParameter("%s", errors.New("could not find the system's IP address - specify one with --advertise-addr"))
}
