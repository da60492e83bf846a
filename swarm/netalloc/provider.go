// Package netalloc is SwarmKit's network allocator for berth's overlay
// networks: it hands out subnets, VXLAN IDs, service VIPs, task addresses
// and the nodes' load-balancer addresses, cluster-wide, from the leader.
//
// All state is in memory. SwarmKit makes a new allocator on every leader
// election and replays the allocated objects from the store into it
// (networks, then node attachments, services and tasks that already carry
// addresses) before allocating anything new, so every Allocate* call
// reserves the addresses already present in the object it is given and
// only picks new ones where there are none.
package netalloc

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/swarmkit/v2/api"
	"github.com/moby/swarmkit/v2/manager/allocator/networkallocator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// VXLANIDOption is the driver option carrying a network's VXLAN IDs, one
// per IPv4 subnet, comma separated (Docker's overlay driver option).
const VXLANIDOption = "com.docker.network.driver.overlay.vxlanid_list"

const (
	overlayDriver = "overlay"
	ipamDriver    = "default"

	defaultPool       = "10.0.0.0/8"
	defaultSubnetSize = 24

	// firstVNI is the lowest VXLAN ID handed out, as Docker (4096+1).
	firstVNI = 4097
	maxVNI   = 1<<24 - 1
)

// Provider is SwarmKit's networkallocator.Provider for berth: the overlay
// driver for networks and the ingress network, the default IPAM driver.
type Provider struct{}

var _ networkallocator.Provider = Provider{}

// ValidateNetworkDriver accepts the overlay driver (and no driver, which
// means overlay).
func (Provider) ValidateNetworkDriver(d *api.Driver) error { return validateDriver(d) }

// ValidateIngressNetworkDriver accepts the overlay driver (and no driver).
func (Provider) ValidateIngressNetworkDriver(d *api.Driver) error { return validateDriver(d) }

// ValidateIPAMDriver accepts the default IPAM driver (and no driver).
func (Provider) ValidateIPAMDriver(d *api.Driver) error {
	if d == nil || d.Name == "" || d.Name == ipamDriver {
		return nil
	}
	return status.Errorf(codes.InvalidArgument, "IPAM driver %q is not supported in swarm mode", d.Name)
}

// PredefinedNetworks returns nil: berth has no node-local networks that
// services may name.
func (Provider) PredefinedNetworks() []networkallocator.PredefinedNetworkData { return nil }

// SetDefaultVXLANUDPPort does nothing: the port matters to the nodes'
// VXLAN devices, not to allocation.
func (Provider) SetDefaultVXLANUDPPort(uint32) error { return nil }

// NewAllocator returns an empty allocator drawing subnets of
// cfg.SubnetSize bits (24 when 0) from cfg.DefaultAddrPool (10.0.0.0/8
// when empty).
func (Provider) NewAllocator(cfg *networkallocator.Config) (networkallocator.NetworkAllocator, error) {
	return newAllocator(cfg)
}

func validateDriver(d *api.Driver) error {
	if d == nil || d.Name == "" || d.Name == overlayDriver {
		return nil
	}
	return status.Errorf(codes.InvalidArgument, "network driver %q is not supported in swarm mode", d.Name)
}

func newAllocator(cfg *networkallocator.Config) (*allocator, error) {
	a := &allocator{
		subnetSize: defaultSubnetSize,
		networks:   map[string]*network{},
		vnis:       map[uint32]string{},
		services:   map[string]map[string]netip.Prefix{},
		tasks:      map[string]map[string][]netip.Prefix{},
		nodes:      map[string]map[string][]netip.Prefix{},
	}
	pools := []string{defaultPool}
	if cfg != nil {
		if len(cfg.DefaultAddrPool) > 0 {
			pools = cfg.DefaultAddrPool
		}
		if cfg.SubnetSize != 0 {
			a.subnetSize = int(cfg.SubnetSize)
		}
	}
	if a.subnetSize > 30 {
		return nil, fmt.Errorf("subnet size /%d is too small for overlay networks", a.subnetSize)
	}
	for _, s := range pools {
		p, err := netip.ParsePrefix(s)
		if err != nil || !p.Addr().Is4() {
			return nil, fmt.Errorf("invalid default address pool %q: an IPv4 CIDR is needed", s)
		}
		a.defaultPools = append(a.defaultPools, p.Masked())
	}
	return a, nil
}

// isOverlay reports whether n is for this allocator: the overlay driver,
// or no driver at all (SwarmKit's own ingress network names none).
func isOverlay(n *api.Network) bool {
	return n.Spec.DriverConfig == nil || n.Spec.DriverConfig.Name == "" || n.Spec.DriverConfig.Name == overlayDriver
}

// network is an allocated overlay network.
type network struct {
	id      string
	ingress bool
	vnis    []uint32
	pools   []*pool        // IPv4 subnets, addresses are handed out from these
	subnets []netip.Prefix // every subnet of the network (IPv6 ones too), for overlap checks
	driver  *api.Driver
	ipam    *api.IPAMOptions
}

func (nw *network) poolOf(a netip.Addr) (*pool, uint64, bool) {
	for _, p := range nw.pools {
		if off, ok := p.offset(a); ok {
			return p, off, true
		}
	}
	return nil, 0, false
}

func (nw *network) release(pfx netip.Prefix, who string) {
	if nw == nil {
		return
	}
	if p, off, ok := nw.poolOf(pfx.Addr()); ok {
		p.release(off, who)
	}
}

// IsAllocated reports whether n is allocated in this allocator.
func (a *allocator) IsAllocated(n *api.Network) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.networks[n.ID]
	return ok
}

// Allocate gives n its subnets, gateways and VXLAN IDs: the user's
// subnets, else the ones already in n.IPAM (restore), else the first free
// subnet of the default pools; VXLAN IDs from n.DriverState (restore),
// else the lowest free ones.
func (a *allocator) Allocate(n *api.Network) error {
	if !isOverlay(n) {
		return status.Errorf(codes.InvalidArgument, "network driver %q is not supported in swarm mode", n.Spec.DriverConfig.Name)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if nw, ok := a.networks[n.ID]; ok {
		n.DriverState, n.IPAM = nw.driver.Copy(), nw.ipam.Copy()
		return nil
	}
	nw := &network{id: n.ID, ingress: networkallocator.IsIngressNetwork(n)}
	configs, err := a.planSubnets(n)
	if err != nil {
		return err
	}
	for _, c := range configs {
		pfx := netip.MustParsePrefix(c.Subnet)
		for _, s := range nw.subnets {
			if s.Overlaps(pfx) {
				return fmt.Errorf("network %s: subnets %s and %s overlap", n.ID, s, pfx)
			}
		}
		if other := a.overlapping(pfx); other != "" {
			return fmt.Errorf("network %s: subnet %s overlaps with network %s", n.ID, pfx, other)
		}
		nw.subnets = append(nw.subnets, pfx)
		if c.Family == api.IPAMConfig_IPV6 {
			continue
		}
		p, err := newPool(pfx, c.Range)
		if err != nil {
			return fmt.Errorf("network %s: %w", n.ID, err)
		}
		gw := p.cidr(1).Addr()
		if c.Gateway != "" {
			if gw, err = netip.ParseAddr(c.Gateway); err != nil {
				return fmt.Errorf("network %s: invalid gateway %q", n.ID, c.Gateway)
			}
		}
		off, ok := p.offset(gw)
		if !ok {
			return fmt.Errorf("network %s: gateway %s is not in subnet %s", n.ID, gw, pfx)
		}
		if _, err := p.reserve(off, "gw"); err != nil {
			return fmt.Errorf("network %s: gateway: %w", n.ID, err)
		}
		c.Gateway = gw.String()
		nw.pools = append(nw.pools, p)
	}
	if nw.vnis, err = a.planVNIs(n, len(nw.pools)); err != nil {
		return err
	}

	opts := map[string]string{}
	if n.Spec.DriverConfig != nil {
		for k, v := range n.Spec.DriverConfig.Options {
			opts[k] = v
		}
	}
	if n.DriverState != nil {
		for k, v := range n.DriverState.Options {
			opts[k] = v
		}
	}
	ids := make([]string, len(nw.vnis))
	for i, v := range nw.vnis {
		ids[i] = strconv.FormatUint(uint64(v), 10)
		a.vnis[v] = n.ID
	}
	opts[VXLANIDOption] = strings.Join(ids, ",")
	nw.driver = &api.Driver{Name: overlayDriver, Options: opts}
	nw.ipam = &api.IPAMOptions{Driver: &api.Driver{Name: ipamDriver}, Configs: configs}
	if n.Spec.IPAM != nil && n.Spec.IPAM.Driver != nil && len(n.Spec.IPAM.Driver.Options) > 0 {
		nw.ipam.Driver.Options = n.Spec.IPAM.Driver.Copy().Options
	}
	a.networks[n.ID] = nw
	n.DriverState, n.IPAM = nw.driver.Copy(), nw.ipam.Copy()
	return nil
}

// planSubnets returns n's IPAM configs, subnets masked and families set,
// with an IPv4 subnet picked from the default pools when there is none.
func (a *allocator) planSubnets(n *api.Network) ([]*api.IPAMConfig, error) {
	var spec, prev []*api.IPAMConfig
	if n.Spec.IPAM != nil {
		spec = n.Spec.IPAM.Configs
	}
	if n.IPAM != nil {
		prev = n.IPAM.Configs
	}
	src := spec
	if !slices.ContainsFunc(spec, func(c *api.IPAMConfig) bool { return c != nil && c.Subnet != "" }) {
		src = prev
	}
	var out []*api.IPAMConfig
	hasV4 := false
	for _, c := range src {
		if c == nil || c.Subnet == "" {
			continue
		}
		pfx, err := netip.ParsePrefix(c.Subnet)
		if err != nil {
			return nil, fmt.Errorf("network %s: invalid subnet %q", n.ID, c.Subnet)
		}
		c = c.Copy()
		c.Subnet = pfx.Masked().String()
		c.Family = api.IPAMConfig_IPV6
		if pfx.Addr().Is4() {
			c.Family, hasV4 = api.IPAMConfig_IPV4, true
		}
		if c.Gateway == "" {
			for _, p := range prev {
				if p != nil && p.Subnet == c.Subnet {
					c.Gateway = p.Gateway
				}
			}
		}
		out = append(out, c)
	}
	if !hasV4 {
		pfx, err := a.freeSubnet()
		if err != nil {
			return nil, fmt.Errorf("network %s: %w", n.ID, err)
		}
		out = append([]*api.IPAMConfig{{Family: api.IPAMConfig_IPV4, Subnet: pfx.String()}}, out...)
	}
	return out, nil
}

func (a *allocator) overlapping(pfx netip.Prefix) string {
	for id, nw := range a.networks {
		for _, s := range nw.subnets {
			if s.Overlaps(pfx) {
				return id
			}
		}
	}
	return ""
}

func (a *allocator) freeSubnet() (netip.Prefix, error) {
	for _, pl := range a.defaultPools {
		bits := max(a.subnetSize, pl.Bits())
		step := uint64(1) << (32 - bits)
		base, end := ip4ToInt(pl.Addr()), ip4ToInt(pl.Addr())+uint64(1)<<(32-pl.Bits())
		for off := base; off < end; off += step {
			if c := netip.PrefixFrom(intToIP4(off), bits); a.overlapping(c) == "" {
				return c, nil
			}
		}
	}
	return netip.Prefix{}, fmt.Errorf("could not find an available subnet in the default address pools")
}

// planVNIs returns the VXLAN IDs already recorded for n (driver state,
// else a user's driver option), plus the lowest free ones up to count.
func (a *allocator) planVNIs(n *api.Network, count int) ([]uint32, error) {
	given := ""
	if n.DriverState != nil {
		given = n.DriverState.Options[VXLANIDOption]
	}
	if given == "" && n.Spec.DriverConfig != nil {
		given = n.Spec.DriverConfig.Options[VXLANIDOption]
	}
	var out []uint32
	for _, f := range strings.Split(given, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		v, err := strconv.ParseUint(f, 10, 32)
		if err != nil || v == 0 || v > maxVNI {
			return nil, fmt.Errorf("network %s: invalid VXLAN ID %q", n.ID, f)
		}
		if other, ok := a.vnis[uint32(v)]; ok || slices.Contains(out, uint32(v)) {
			return nil, fmt.Errorf("network %s: VXLAN ID %d is already used by network %s", n.ID, v, other)
		}
		out = append(out, uint32(v))
	}
	for v := uint32(firstVNI); len(out) < count; v++ {
		if v > maxVNI {
			return nil, fmt.Errorf("network %s: no free VXLAN ID", n.ID)
		}
		if _, ok := a.vnis[v]; !ok && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// Deallocate frees n's subnets and VXLAN IDs and forgets every address
// handed out on it.
func (a *allocator) Deallocate(n *api.Network) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	nw, ok := a.networks[n.ID]
	if !ok {
		return nil
	}
	for _, v := range nw.vnis {
		delete(a.vnis, v)
	}
	delete(a.networks, n.ID)
	for _, m := range a.services {
		delete(m, n.ID)
	}
	for _, m := range a.tasks {
		delete(m, n.ID)
	}
	for _, m := range a.nodes {
		delete(m, n.ID)
	}
	delete(a.released.vips, n.ID)
	return nil
}

// pool is one IPv4 subnet's addresses, as offsets from the subnet's
// network address. Offset 0 (network) and the last (broadcast) are never
// handed out; dynamic allocation stays within [lo, hi] (the IPAM range).
type pool struct {
	subnet  netip.Prefix
	base    uint64
	size    uint64
	lo, hi  uint64
	used    map[uint64]string // offset -> owner
	inRange uint64            // used offsets within [lo, hi]
	next    uint64            // where the next dynamic allocation starts looking
}

func newPool(subnet netip.Prefix, ipRange string) (*pool, error) {
	subnet = subnet.Masked()
	if subnet.Bits() > 30 {
		return nil, fmt.Errorf("subnet %s is too small", subnet)
	}
	p := &pool{subnet: subnet, base: ip4ToInt(subnet.Addr()), size: 1 << (32 - subnet.Bits()), used: map[uint64]string{}}
	p.lo, p.hi = 1, p.size-2
	if ipRange != "" {
		r, err := netip.ParsePrefix(ipRange)
		if err != nil || !r.Addr().Is4() || r.Bits() < subnet.Bits() || !subnet.Contains(r.Addr()) {
			return nil, fmt.Errorf("invalid range %q for subnet %s", ipRange, subnet)
		}
		r = r.Masked()
		start := ip4ToInt(r.Addr()) - p.base
		end := start + 1<<(32-r.Bits()) - 1
		p.lo, p.hi = max(p.lo, start), min(p.hi, end)
		if p.lo > p.hi {
			return nil, fmt.Errorf("range %s of subnet %s has no usable address", r, subnet)
		}
	}
	p.next = p.lo
	return p, nil
}

func (p *pool) offset(a netip.Addr) (uint64, bool) {
	if !a.Is4() || !p.subnet.Contains(a) {
		return 0, false
	}
	return ip4ToInt(a) - p.base, true
}

func (p *pool) cidr(off uint64) netip.Prefix {
	return netip.PrefixFrom(intToIP4(p.base+off), p.subnet.Bits())
}

func (p *pool) inside(off uint64) bool { return off >= p.lo && off <= p.hi }

// reserve marks off as owned by who; fresh says it was not already theirs.
// A reserved address moves the cursor past it, so after a restore new
// addresses continue after the highest one in use instead of reusing the
// ones released just before the leader changed.
func (p *pool) reserve(off uint64, who string) (fresh bool, err error) {
	if off == 0 || off >= p.size-1 {
		return false, fmt.Errorf("address %s is the network or broadcast address of %s", p.cidr(off).Addr(), p.subnet)
	}
	if cur, ok := p.used[off]; ok {
		if cur == who {
			return false, nil
		}
		return false, fmt.Errorf("address %s is already in use", p.cidr(off).Addr())
	}
	p.used[off] = who
	if p.inside(off) {
		p.inRange++
		if off >= p.next {
			p.advance(off)
		}
	}
	return true, nil
}

func (p *pool) advance(off uint64) {
	p.next = off + 1
	if p.next > p.hi {
		p.next = p.lo
	}
}

// take hands out the first free address from the cursor on, wrapping.
func (p *pool) take(who string) (netip.Prefix, bool) {
	n := p.hi - p.lo + 1
	if p.inRange >= n {
		return netip.Prefix{}, false
	}
	for i := range n {
		off := p.lo + (p.next-p.lo+i)%n
		if _, ok := p.used[off]; ok {
			continue
		}
		p.used[off] = who
		p.inRange++
		p.advance(off)
		return p.cidr(off), true
	}
	return netip.Prefix{}, false
}

func (p *pool) release(off uint64, who string) {
	if cur, ok := p.used[off]; ok && cur == who {
		delete(p.used, off)
		if p.inside(off) {
			p.inRange--
		}
	}
}

func ip4ToInt(a netip.Addr) uint64 {
	b := a.As4()
	return uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
}

func intToIP4(v uint64) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// parseAddr takes an address in CIDR form ("10.0.1.3/24", as SwarmKit
// stores them) or bare.
func parseAddr(s string) (netip.Addr, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Addr(), nil
	}
	return netip.ParseAddr(s)
}
