package swarm

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/berth-project/berth/internal/errdefs"
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
	routes, err := os.ReadFile("/proc/net/route")
	if err != nil {
		return nil, err
	}
	for _, ifc := range defaultRouteIfaces(string(routes)) {
		ip, err := interfaceAddr(ifc)
		if err != nil {
			return nil, errdefs.InvalidParameter("could not choose an IP address to advertise since this system has multiple addresses on interface %s", ifc)
		}
		return ip, nil
	}
	return nil, errdefs.InvalidParameter("%s", errors.New("could not find the system's IP address - specify one with --advertise-addr"))
}

// defaultRouteIfaces reads /proc/net/route (the kernel's IPv4 main table:
// interface, destination and mask in hex) for the interfaces of default
// routes, in table order. The file is enough here and spares swarmd a
// netlink library.
func defaultRouteIfaces(table string) []string {
	var out []string
	for i, line := range strings.Split(table, "\n") {
		f := strings.Fields(line)
		if i == 0 || len(f) < 8 {
			continue // header
		}
		if f[1] == "00000000" && f[7] == "00000000" {
			out = append(out, f[0])
		}
	}
	return out
}
