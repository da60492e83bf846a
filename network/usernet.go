package network

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/vishvananda/netlink"
	bolt "go.etcd.io/bbolt"
)

// Docker's driver option keys.
const (
	OptBridgeName = "com.docker.network.bridge.name"
	OptICC        = "com.docker.network.bridge.enable_icc"
	OptMasquerade = "com.docker.network.bridge.enable_ip_masquerade"
	OptMTU        = "com.docker.network.driver.mtu"
)

// userBridgePrefix names user-defined bridges "bb-<12 hex of the ID>":
// Docker Engine uses "br-", so both can run on one host.
const userBridgePrefix = "bb-"

func newID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var errAddressInUse = errors.New("Address already in use")

// loadNetworks restores the predefined networks (creating their records
// with fresh IDs on first start) and every user network, whose devices are
// re-created idempotently.
func (m *Manager) loadNetworks(ctx context.Context) error {
	recs, err := loadNetworks(m.cfg.DB)
	if err != nil {
		return fmt.Errorf("load networks: %w", err)
	}
	byName := map[string]*netRecord{}
	for _, r := range recs {
		if r.Predefined {
			byName[r.Name] = r
		}
	}
	var created []*netRecord
	predef := func(name, driver string) *netRecord {
		if r := byName[name]; r != nil {
			return r
		}
		r := &netRecord{ID: newID(), Name: name, Driver: driver, Created: time.Now().UTC(), Predefined: true}
		created = append(created, r)
		return r
	}
	for _, p := range [][2]string{{"host", "host"}, {"none", "null"}} {
		r := predef(p[0], p[1])
		m.nets[r.ID] = &netw{id: r.ID, name: r.Name, driver: r.Driver, rec: r, ipamKey: r.ID}
	}
	if m.cfg.BridgeName != "none" {
		r := predef(DefaultNetworkName, "bridge")
		n, err := m.defaultNet(r)
		if err != nil {
			return err
		}
		if err := n.drv.Setup(ctx); err != nil {
			return err
		}
		m.def, m.nets[r.ID] = n, n
	}
	if len(created) > 0 {
		err := m.cfg.DB.Update(func(tx *bolt.Tx) error {
			for _, r := range created {
				if err := putNetwork(tx, r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("store predefined networks: %w", err)
		}
	}
	for _, r := range recs {
		if r.Predefined {
			continue
		}
		n, err := m.buildNet(r)
		if err != nil {
			return fmt.Errorf("network %s: %w", r.Name, err)
		}
		// A macvlan parent may be gone after a reboot; the network stays
		// (as with Docker) and Join reports the missing parent.
		if err := n.drv.Setup(ctx); err != nil && n.driver == "bridge" {
			return fmt.Errorf("network %s: %w", r.Name, err)
		}
		m.nets[r.ID] = n
	}
	return nil
}

// defaultNet builds the default bridge from the daemon configuration.
func (m *Manager) defaultNet(r *netRecord) (*netw, error) {
	cfg := m.cfg
	bip, err := netip.ParsePrefix(cfg.BridgeIP)
	if err != nil || !bip.Addr().Is4() || bip.Bits() > 30 || bip.Addr() == bip.Masked().Addr() {
		return nil, errdefs.InvalidParameter("invalid bridge IP %q: want an IPv4 host address in CIDR form, prefix /30 or shorter", cfg.BridgeIP)
	}
	n := &netw{
		id: r.ID, name: DefaultNetworkName, driver: "bridge", iface: cfg.BridgeName, ipamKey: DefaultNetworkName,
		subnet: bip.Masked(), gateway: bip.Addr(), mtu: cfg.MTU, icc: !cfg.DisableICC, masq: true, rec: r,
	}
	if cfg.FixedCIDR != "" {
		fc, err := netip.ParsePrefix(cfg.FixedCIDR)
		if err != nil || !fc.Addr().Is4() || !n.subnet.Contains(fc.Addr()) || fc.Bits() < n.subnet.Bits() {
			return nil, errdefs.InvalidParameter("invalid fixed-cidr %q: want an IPv4 subnet inside the bridge subnet %s", cfg.FixedCIDR, n.subnet)
		}
		n.ipRange = fc.Masked()
	}
	if cfg.IPv6 {
		if cfg.FixedCIDRv6 == "" {
			return nil, errdefs.InvalidParameter("--ipv6 on the default bridge needs --fixed-cidr-v6")
		}
		p, err := netip.ParsePrefix(cfg.FixedCIDRv6)
		if err != nil || !p.Addr().Is6() || p.Addr().Is4In6() || p.Bits() > 126 {
			return nil, errdefs.InvalidParameter("invalid fixed-cidr-v6 %q: want an IPv6 subnet, /126 or shorter", cfg.FixedCIDRv6)
		}
		n.subnet6, n.gateway6 = p.Masked(), p.Masked().Addr().Next()
	}
	n.drv = &bridgeDriver{name: n.iface, addrs: n.gatewayAddrs(), mtu: n.mtu}
	return n, nil
}

// buildNet turns a persisted user network into a runtime one.
func (m *Manager) buildNet(r *netRecord) (*netw, error) {
	n := &netw{id: r.ID, name: r.Name, driver: r.Driver, ipamKey: r.ID, internal: r.Internal, icc: true, masq: true,
		mtu: DefaultMTU, userSubnet: r.UserSubnet, rec: r}
	for _, c := range r.IPAM {
		sub, rng, gw, _, err := parseIPAMConfig(c)
		if err != nil {
			return nil, err
		}
		switch {
		case sub.Addr().Is4() && !n.subnet.IsValid():
			n.subnet, n.ipRange, n.gateway = sub, rng, gw
		case sub.Addr().Is6() && !n.subnet6.IsValid():
			n.subnet6, n.ipRange6, n.gateway6 = sub, rng, gw
		default:
			n.extra = append(n.extra, ipPool{sub, rng, gw})
		}
	}
	var err error
	if n.icc, err = boolOpt(r.Options, OptICC, true); err != nil {
		return nil, err
	}
	if n.masq, err = boolOpt(r.Options, OptMasquerade, true); err != nil {
		return nil, err
	}
	if v := r.Options[OptMTU]; v != "" {
		if n.mtu, err = strconv.Atoi(v); err != nil || n.mtu < 68 || n.mtu > 65535 {
			return nil, errdefs.InvalidParameter("invalid MTU %q for network %s", v, r.Name)
		}
	}
	switch r.Driver {
	case "bridge":
		n.iface = r.Iface
		n.drv = &bridgeDriver{name: n.iface, addrs: n.gatewayAddrs(), mtu: n.mtu,
			keep: r.ExistingBridge}
	case "macvlan", "ipvlan":
		d, err := newSubDriver(r, n)
		if err != nil {
			return nil, err
		}
		n.drv = d
	default:
		return nil, errdefs.NotFound("plugin %q not found", r.Driver)
	}
	return n, nil
}

func boolOpt(opts map[string]string, key string, def bool) (bool, error) {
	v, ok := opts[key]
	if !ok || v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errdefs.InvalidParameter("invalid value %q for option %s: want true or false", v, key)
	}
	return b, nil
}

// parseIPAMConfig validates one subnet entry like Docker's IPAM.
func parseIPAMConfig(c IPAMConfig) (subnet, ipRange netip.Prefix, gw netip.Addr, aux []netip.Addr, err error) {
	if subnet, err = netip.ParsePrefix(c.Subnet); err != nil {
		return subnet, ipRange, gw, nil, errdefs.InvalidParameter("invalid subnet %s: invalid CIDR address", c.Subnet)
	}
	if subnet.Addr().Is4In6() {
		return subnet, ipRange, gw, nil, errdefs.InvalidParameter("invalid subnet %s: IPv4-mapped addresses are not supported", c.Subnet)
	}
	if subnet != subnet.Masked() {
		return subnet, ipRange, gw, nil, errdefs.InvalidParameter("invalid subnet %s: it should be %s", c.Subnet, subnet.Masked())
	}
	if subnet.Bits() > subnet.Addr().BitLen()-2 {
		return subnet, ipRange, gw, nil, errdefs.InvalidParameter("invalid subnet %s: too small for a gateway and one container", c.Subnet)
	}
	if c.IPRange != "" {
		if ipRange, err = netip.ParsePrefix(c.IPRange); err != nil || ipRange.Addr().Is4() != subnet.Addr().Is4() ||
			!subnet.Contains(ipRange.Addr()) || ipRange.Bits() < subnet.Bits() {
			return subnet, ipRange, gw, nil, errdefs.InvalidParameter("no matching subnet for range %s", c.IPRange)
		}
		ipRange = ipRange.Masked()
	}
	if c.Gateway != "" {
		if gw, err = netip.ParseAddr(c.Gateway); err != nil || !subnet.Contains(gw) {
			return subnet, ipRange, gw, nil, errdefs.InvalidParameter("no matching subnet for gateway %s", c.Gateway)
		}
		if f, l := hostRange(subnet); gw.Compare(f) < 0 || gw.Compare(l) > 0 {
			return subnet, ipRange, gw, nil, errdefs.InvalidParameter("invalid gateway %s: it is the network or broadcast address of %s", c.Gateway, subnet)
		}
	} else {
		gw = subnet.Addr().Next()
	}
	keys := make([]string, 0, len(c.AuxAddress))
	for k := range c.AuxAddress {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		a, err := netip.ParseAddr(c.AuxAddress[k])
		if err != nil || !subnet.Contains(a) {
			return subnet, ipRange, gw, nil, errdefs.InvalidParameter("no matching subnet for aux-address %s", c.AuxAddress[k])
		}
		aux = append(aux, a)
	}
	return subnet, ipRange, gw, aux, nil
}

// CreateNetwork creates a user-defined network: validates, picks subnets,
// creates the device, stores the record, reserves gateway and aux
// addresses and installs the rules. On error nothing is left behind.
func (m *Manager) CreateNetwork(ctx context.Context, o CreateOptions) (_ *Network, retErr error) {
	if o.Name == "" {
		return nil, errdefs.InvalidParameter("network name must not be empty")
	}
	switch o.Name {
	case "bridge", "host", "none", "default":
		// dockerd checks this before anything else, the trailing space
		// included.
		return nil, errdefs.Forbidden("operation is not permitted on predefined %s network ", o.Name)
	}
	driver := o.Driver
	if driver == "" {
		driver = "bridge"
	}
	// A swarm overlay network is a bridge on this node with a VXLAN port
	// to the other nodes (overlay.go); the cluster allocates its subnet,
	// VNI and addresses.
	overlay := driver == "overlay"
	if overlay {
		driver = "bridge"
		if o.ID == "" || o.VNI == 0 || len(o.IPAM) == 0 {
			return nil, errdefs.InvalidParameter("overlay network %s: the cluster's ID, VNI and subnet are required", o.Name)
		}
	}
	switch driver {
	case "bridge", "macvlan", "ipvlan":
	case "host", "null":
		return nil, errdefs.Forbidden("only one instance of %q network is allowed", o.Driver)
	default:
		return nil, errdefs.NotFound("plugin %q not found", driver)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range m.nets {
		if n.name == o.Name && !n.removing {
			return nil, errdefs.Conflict("network with name %s already exists", o.Name)
		}
	}
	id := newID()
	if overlay {
		if _, ok := m.nets[o.ID]; ok {
			return nil, errdefs.Conflict("network with name %s already exists", o.Name)
		}
		id = o.ID
	}
	r := &netRecord{ID: id, VNI: o.VNI, VXLANPort: o.VXLANPort, Name: o.Name, Driver: driver, Created: time.Now().UTC(), Options: maps.Clone(o.Options),
		Labels: maps.Clone(o.Labels), IPv6: o.EnableIPv6, Internal: o.Internal, Attachable: o.Attachable, Overlay: overlay}
	if r.Options == nil {
		r.Options = map[string]string{}
	}
	if overlay && r.Options[OptMTU] == "" {
		// Room for the 50 bytes of VXLAN encapsulation, as Docker's
		// overlay driver.
		r.Options[OptMTU] = strconv.Itoa(overlayMTU)
	}
	var aux []netip.Addr
	var have4, have6 bool
	var mine []netip.Prefix // this request's subnets, which must not overlap either
	for _, c := range o.IPAM {
		if c.Subnet == "" {
			if c.Gateway != "" || c.IPRange != "" {
				return nil, errdefs.InvalidParameter("no matching subnet for gateway %s", c.Gateway)
			}
			continue
		}
		sub, _, gw, a, err := parseIPAMConfig(c)
		if err != nil {
			return nil, err
		}
		if err := m.checkOverlap(sub); err != nil {
			return nil, err
		}
		for _, p := range mine {
			if p.Overlaps(sub) {
				return nil, errdefs.Forbidden("invalid pool request: Pool overlaps with other one on this address space")
			}
		}
		mine = append(mine, sub)
		have4, have6 = have4 || sub.Addr().Is4(), have6 || sub.Addr().Is6()
		if sub.Addr().Is6() {
			r.IPv6 = true
		}
		c.Gateway = gw.String()
		r.IPAM = append(r.IPAM, c)
		aux = append(aux, a...)
	}
	r.UserSubnet = have4 || have6
	if !have4 {
		sub, err := m.allocSubnet(m.cfg.DefaultAddressPools, driver == "bridge")
		if err != nil {
			return nil, err
		}
		r.IPAM = append([]IPAMConfig{{Subnet: sub.String(), Gateway: sub.Addr().Next().String()}}, r.IPAM...)
	}
	if r.IPv6 && !have6 {
		sub, err := m.allocSubnet([]AddressPool{defaultPool6}, false)
		if err != nil {
			return nil, err
		}
		r.IPAM = append(r.IPAM, IPAMConfig{Subnet: sub.String(), Gateway: sub.Addr().Next().String()})
	}
	if driver == "bridge" {
		r.Iface = o.Options[OptBridgeName]
		if r.Iface == "" {
			r.Iface = userBridgePrefix + r.ID[:12]
		}
		if len(r.Iface) > 15 {
			return nil, errdefs.InvalidParameter("bridge name %q is longer than 15 characters", r.Iface)
		}
		for _, n := range m.nets {
			if n.iface == r.Iface {
				return nil, errdefs.Conflict("bridge name %s is already used by network %s", r.Iface, n.name)
			}
		}
		if _, err := netlink.LinkByName(r.Iface); err == nil {
			r.ExistingBridge = true
		}
	}
	n, err := m.buildNet(r)
	if err != nil {
		return nil, err
	}
	if sd, ok := n.drv.(*subDriver); ok {
		if err := sd.prepare(ctx); err != nil {
			return nil, err
		}
	}
	if err := n.drv.Setup(ctx); err != nil {
		_ = n.drv.Teardown(ctx)
		return nil, err
	}
	defer func() {
		if retErr != nil {
			_ = n.drv.Teardown(ctx)
		}
	}()
	err = m.cfg.DB.Update(func(tx *bolt.Tx) error {
		for _, gw := range n.gatewayAddrs() {
			if err := ipamReserve(tx, n.ipamKey, gw.Addr(), ownerGateway); err != nil {
				return err
			}
		}
		for _, a := range aux {
			if err := ipamReserve(tx, n.ipamKey, a, ownerAux); err != nil && !errors.Is(err, errAddressInUse) {
				return err
			}
		}
		return putNetwork(tx, r)
	})
	if err != nil {
		return nil, fmt.Errorf("store network %s: %w", o.Name, err)
	}
	m.nets[r.ID] = n
	if err := m.addNetworkRules(ctx, n); err != nil {
		delete(m.nets, r.ID)
		_ = m.cfg.DB.Update(func(tx *bolt.Tx) error { return errors.Join(ipamDrop(tx, n.ipamKey), deleteNetwork(tx, r.ID)) })
		_ = m.refreshRules(ctx)
		return nil, err
	}
	if n.subnet6.IsValid() {
		m.enableIPv6Forwarding()
	}
	return m.view(n), nil
}

// refreshRules re-renders the tables and the FORWARD jump after the set of
// networks changed; m.mu held.
func (m *Manager) refreshRules(ctx context.Context) error {
	if m.cfg.DisableIPTables {
		return nil
	}
	if err := m.syncTable(ctx); err != nil {
		return err
	}
	return m.refreshForward(ctx)
}

// addNetworkRules puts a new network into the tables incrementally (see
// renderNetworkAdd), falling back to a full rebuild when the tables are
// not what we left (flushed by hand); m.mu held.
func (m *Manager) addNetworkRules(ctx context.Context, n *netw) error {
	if m.cfg.DisableIPTables {
		return nil
	}
	if !n.firewalled() {
		return nil // macvlan/ipvlan: no rules of ours
	}
	if err := nftApply(ctx, renderNetworkAdd(m.cfg.NftTable, n.rules())); err != nil {
		return m.refreshRules(ctx)
	}
	return m.refreshForward(ctx)
}

// removeNetworkRules takes a removed network's rules out of the tables by
// handle: one `nft -a list` and one transaction, instead of a rebuild that
// also reads the user chain back. Anything unexpected (the table flushed
// by hand) falls back to the rebuild; m.mu held, n already out of m.nets.
func (m *Manager) removeNetworkRules(ctx context.Context, n *netw) error {
	if m.cfg.DisableIPTables || !n.firewalled() {
		return nil
	}
	out, err := exec.CommandContext(ctx, "nft", "-a", "list", "table", "inet", m.cfg.NftTable).Output()
	if err != nil {
		return m.refreshRules(ctx)
	}
	if err := nftApply(ctx, renderNetworkRemove(m.cfg.NftTable, n.iface, networkRuleHandles(string(out), n.iface))); err != nil {
		return m.refreshRules(ctx)
	}
	return m.refreshForward(ctx)
}

// refreshForward rewrites our FORWARD chain with the current bridges. When
// the last check found nothing to do (FORWARD accepts, no jump of ours),
// it trusts that answer: the watcher checks again every 10 s, which is as
// soon as a Docker Engine starting later would be noticed anyway, and a
// network create or rm saves two iptables execs (some 20 ms); m.mu held.
func (m *Manager) refreshForward(ctx context.Context) error {
	if m.fwdIdle.Load() {
		return nil
	}
	return m.ensureForward(ctx, m.bridgesLocked())
}

// ensureForward runs the check and remembers whether it found anything
// to do.
func (m *Manager) ensureForward(ctx context.Context, bridges []string) error {
	installed, err := ensureForward(ctx, m.fwdChain, bridges)
	m.fwdIdle.Store(err == nil && !installed)
	return err
}

func (m *Manager) enableIPv6Forwarding() {
	if m.cfg.DisableIPForward {
		return
	}
	for _, n := range m.nets {
		if n.subnet6.IsValid() && n.firewalled() {
			_ = writeSysctl("net/ipv6/conf/all/forwarding", "1")
			return
		}
	}
}

// lookup finds a network by exact ID, exact name, then unique ID prefix;
// m.mu held.
func (m *Manager) lookup(idOrName string) (*netw, error) {
	if idOrName == "" {
		if m.def == nil {
			return nil, errdefs.NotFound("network %s not found", DefaultNetworkName)
		}
		return m.def, nil
	}
	if n, ok := m.nets[idOrName]; ok && !n.removing {
		return n, nil
	}
	for _, n := range m.nets {
		if n.name == idOrName && !n.removing {
			return n, nil
		}
	}
	var found *netw
	for id, n := range m.nets {
		if strings.HasPrefix(id, idOrName) && !n.removing {
			if found != nil {
				return nil, errdefs.InvalidParameter("network %s is ambiguous (%d matches found based on ID prefix)", idOrName, 2)
			}
			found = n
		}
	}
	if found == nil {
		return nil, errdefs.NotFound("network %s not found", idOrName)
	}
	return found, nil
}

// GetNetwork finds a network by exact ID, exact name, then unique ID prefix.
func (m *Manager) GetNetwork(idOrName string) (*Network, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookup(idOrName)
	if err != nil {
		return nil, err
	}
	return m.view(n), nil
}

// Networks lists every network by name, the predefined ones included.
func (m *Manager) Networks() []*Network {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*Network
	for _, n := range m.sortedNets() {
		if !n.removing {
			out = append(out, m.view(n))
		}
	}
	return out
}

// view renders the read model; m.mu held.
func (m *Manager) view(n *netw) *Network {
	r := n.rec
	v := &Network{ID: n.id, Name: n.name, Driver: n.driver, Scope: "local", Created: r.Created, EnableIPv4: n.subnet.IsValid(),
		EnableIPv6: n.subnet6.IsValid(), Internal: n.internal, Attachable: r.Attachable, Options: maps.Clone(r.Options),
		Labels: maps.Clone(r.Labels), Endpoints: map[string]EndpointInfo{}}
	if v.Options == nil {
		v.Options = map[string]string{}
	}
	if r.Overlay {
		v.Driver, v.Scope = "overlay", "swarm"
		if r.VNI != 0 {
			v.Options["com.docker.network.driver.overlay.vxlanid_list"] = strconv.FormatUint(uint64(r.VNI), 10)
		}
	}
	if v.Labels == nil {
		v.Labels = map[string]string{}
	}
	if n.isDefault() {
		v.IPAM = []IPAMConfig{{Subnet: n.subnet.String(), Gateway: n.gateway.String()}}
		if n.ipRange.IsValid() {
			v.IPAM[0].IPRange = n.ipRange.String()
		}
		if n.subnet6.IsValid() {
			v.IPAM = append(v.IPAM, IPAMConfig{Subnet: n.subnet6.String(), Gateway: n.gateway6.String()})
		}
		v.Options = map[string]string{OptBridgeName: n.iface, OptICC: strconv.FormatBool(n.icc),
			OptMasquerade: "true", OptMTU: strconv.Itoa(n.mtu), "com.docker.network.bridge.default_bridge": "true",
			"com.docker.network.bridge.host_binding_ipv4": "0.0.0.0"}
	} else {
		for _, c := range r.IPAM {
			c.AuxAddress = maps.Clone(c.AuxAddress)
			v.IPAM = append(v.IPAM, c)
		}
	}
	for k, ep := range m.eps {
		if k.net != n.id {
			continue
		}
		info := EndpointInfo{Name: ep.ContainerName, EndpointID: ep.EndpointID, MacAddress: ep.MacAddress}
		if ep.IP.IsValid() {
			info.IPv4Address = ep.IP.String()
		}
		if ep.IP6.IsValid() {
			info.IPv6Address = ep.IP6.String()
		}
		v.Endpoints[k.ctr] = info
	}
	return v
}

// RemoveNetwork removes a user-defined network without endpoints: its
// device, rules and IPAM state.
func (m *Manager) RemoveNetwork(ctx context.Context, idOrName string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookup(idOrName)
	if err != nil {
		return err
	}
	if n.rec.Predefined {
		return errdefs.Forbidden("%s is a pre-defined network and cannot be removed", n.name)
	}
	if m.hasEndpoints(n) {
		// A swarm network goes once its tasks have stopped, as the
		// cluster's networks do (`stack rm` removes it right after the
		// services).
		if n.rec.Overlay {
			n.removing = true
			return nil
		}
		return errdefs.Forbidden("error while removing network: network %s id %s has active endpoints", n.name, n.id)
	}
	return m.removeLocked(ctx, n)
}

func (m *Manager) hasEndpoints(n *netw) bool {
	for k := range m.eps {
		if k.net == n.id {
			return true
		}
	}
	return false
}

// removeLocked deletes a network without endpoints; m.mu held.
func (m *Manager) removeLocked(ctx context.Context, n *netw) error {
	delete(m.nets, n.id)
	m.teardownOverlay(ctx, n)
	if err := m.removeNetworkRules(ctx, n); err != nil {
		m.nets[n.id] = n
		return fmt.Errorf("remove network %s: %w", n.name, err)
	}
	if err := n.drv.Teardown(ctx); err != nil {
		return fmt.Errorf("remove network %s: %w", n.name, err)
	}
	return m.cfg.DB.Update(func(tx *bolt.Tx) error {
		return errors.Join(ipamDrop(tx, n.ipamKey), deleteNetwork(tx, n.id))
	})
}
