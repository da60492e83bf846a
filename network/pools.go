package network

import (
	"net/netip"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/vishvananda/netlink"
)

// validatePools checks --default-address-pools.
func validatePools(pools []AddressPool) error {
	for _, p := range pools {
		base, err := netip.ParsePrefix(p.Base)
		if err != nil {
			return errdefs.InvalidParameter("invalid default address pool base %q: %v", p.Base, err)
		}
		if p.Size < base.Bits() || p.Size > base.Addr().BitLen()-2 {
			return errdefs.InvalidParameter("invalid default address pool %s size %d: must be between %d and %d", p.Base, p.Size, base.Bits(), base.Addr().BitLen()-2)
		}
	}
	return nil
}

// usedSubnets lists every subnet of our networks; m.mu held.
func (m *Manager) usedSubnets() []netip.Prefix {
	var out []netip.Prefix
	for _, n := range m.nets {
		out = append(out, n.subnets()...)
	}
	return out
}

// checkOverlap is Docker's check for a user-given subnet: it must not
// overlap another network's (host routes are not checked, as with Docker:
// macvlan subnets are the LAN's).
func (m *Manager) checkOverlap(p netip.Prefix) error {
	for _, u := range m.usedSubnets() {
		if u.Overlaps(p) {
			return errdefs.Forbidden("invalid pool request: Pool overlaps with other one on this address space")
		}
	}
	return nil
}

// hostRoutes returns the destinations of the host's routes of p's family,
// without default routes.
func hostRoutes(v6 bool) []netip.Prefix {
	fam := netlink.FAMILY_V4
	if v6 {
		fam = netlink.FAMILY_V6
	}
	routes, err := netlink.RouteList(nil, fam)
	if err != nil {
		return nil
	}
	var out []netip.Prefix
	for _, r := range routes {
		if r.Dst == nil {
			continue
		}
		ones, _ := r.Dst.Mask.Size()
		a, ok := netip.AddrFromSlice(r.Dst.IP)
		if !ok || ones == 0 {
			continue
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), ones).Masked())
	}
	return out
}

// allocSubnet picks the first subnet of the pools that overlaps no network
// of ours and, when checkRoutes, no route on the host; m.mu held.
func (m *Manager) allocSubnet(pools []AddressPool, checkRoutes bool) (netip.Prefix, error) {
	used := m.usedSubnets()
	for _, pool := range pools {
		base, err := netip.ParsePrefix(pool.Base)
		if err != nil {
			continue
		}
		taken := append([]netip.Prefix(nil), used...)
		if checkRoutes {
			taken = append(taken, hostRoutes(base.Addr().Is6())...)
		}
		for i := uint64(0); i < 1<<16; i++ {
			p, ok := nthSubnet(base, pool.Size, i)
			if !ok {
				break
			}
			free := true
			for _, u := range taken {
				if u.Overlaps(p) {
					free = false
					break
				}
			}
			if free {
				return p, nil
			}
		}
	}
	return netip.Prefix{}, errdefs.Forbidden("could not find an available, non-overlapping IPv%d address pool among the defaults to assign to the network", map[bool]int{true: 6, false: 4}[len(pools) > 0 && isV6Pool(pools[0])])
}

func isV6Pool(p AddressPool) bool {
	b, err := netip.ParsePrefix(p.Base)
	return err == nil && b.Addr().Is6()
}
