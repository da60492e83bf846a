package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strings"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/network"
	bolt "go.etcd.io/bbolt"
)

// wantedPort is one requested binding before host ports are resolved.
type wantedPort struct {
	proto  string
	ctr    uint16
	hostIP netip.Addr
	lo, hi uint16 // 0,0: ephemeral
}

// wantedPorts flattens -p and -P into a deterministic list.
func wantedPorts(req AttachRequest) ([]wantedPort, error) {
	var out []wantedPort
	add := func(p network.Port, b network.PortBinding) error {
		proto := string(p.Proto())
		if proto == "sctp" {
			return sctpError()
		}
		if proto != "tcp" && proto != "udp" {
			return errdefs.InvalidParameter("invalid proto: %s", proto)
		}
		hip := b.HostIP
		if hip.IsValid() && hip.Is4In6() {
			hip = hip.Unmap()
		}
		if hip.IsValid() && hip.IsUnspecified() && hip.Is4() {
			hip = netip.Addr{} // 0.0.0.0 is "all addresses"
		}
		hip = hip.WithZone("")
		lo, hi, err := parseHostPort(b.HostPort)
		if err != nil {
			return errdefs.InvalidParameter("%s", err.Error())
		}
		out = append(out, wantedPort{proto: proto, ctr: p.Num(), hostIP: hip, lo: lo, hi: hi})
		return nil
	}
	keys := make([]network.Port, 0, len(req.PortBindings)+len(req.ExposedPorts))
	for p := range req.PortBindings {
		keys = append(keys, p)
	}
	if req.PublishAll {
		for p := range req.ExposedPorts {
			if _, ok := req.PortBindings[p]; !ok {
				keys = append(keys, p)
			}
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Num() != keys[j].Num() {
			return keys[i].Num() < keys[j].Num()
		}
		return keys[i].Proto() < keys[j].Proto()
	})
	for _, p := range keys {
		bindings, ok := req.PortBindings[p]
		if !ok || len(bindings) == 0 {
			bindings = []network.PortBinding{{}} // -P, or -p CONT
		}
		for _, b := range bindings {
			if err := add(p, b); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// Attach connects the container to one network: a veth pair into the
// namespace (bridge) or a macvlan/ipvlan device, addresses and routes, and
// published ports. On error nothing is left behind.
//
// Attaching a container to a network it already has an endpoint on
// replaces that endpoint (a record left by a crash must not block the next
// start).
func (m *Manager) Attach(ctx context.Context, req AttachRequest) (_ *Endpoint, retErr error) {
	if req.ContainerID == "" || req.NetNSPath == "" {
		return nil, errdefs.InvalidParameter("network attach: container ID and netns path are required")
	}
	if req.MacAddress != "" {
		if _, err := net.ParseMAC(req.MacAddress); err != nil {
			return nil, errdefs.InvalidParameter("invalid MAC address: %s", req.MacAddress)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if req.Network == "" && m.def == nil {
		return nil, errdefs.NotFound("network %s not found", DefaultNetworkName)
	}
	n, err := m.lookup(req.Network)
	if err != nil {
		return nil, err
	}
	if n.drv == nil {
		return nil, errdefs.Forbidden("container cannot be disconnected from host network or connected to host network")
	}
	if err := checkStaticIP(n, req.IPv4, false); err != nil {
		return nil, err
	}
	if err := checkStaticIP(n, req.IPv6, true); err != nil {
		return nil, err
	}
	var wanted []wantedPort
	// Docker publishes nothing for internal and macvlan/ipvlan networks.
	if n.firewalled() && !n.internal {
		if wanted, err = wantedPorts(req); err != nil {
			return nil, err
		}
	}
	key := epKey{req.ContainerID, n.id}
	if _, ok := m.eps[key]; ok {
		if err := m.detachLocked(ctx, key); err != nil {
			return nil, err
		}
	}
	ep := &endpointRecord{
		ContainerID:   req.ContainerID,
		ContainerName: strings.TrimPrefix(req.ContainerName, "/"),
		Network:       n.id,
		EndpointID:    newID(),
		NetNSPath:     req.NetNSPath,
		IfName:        req.IfName,
		Aliases:       append([]string(nil), req.Aliases...),
	}
	if ep.IfName == "" {
		ep.IfName = m.nextIfName(req.ContainerID)
	}
	if n.firewalled() {
		ep.HostVeth = hostVethName(req.ContainerID)
		if !n.isDefault() {
			ep.HostVeth = hostVethName(req.ContainerID + "/" + n.id)
		}
	}
	for p := range req.ExposedPorts {
		ep.Exposed = append(ep.Exposed, p.String())
	}
	sort.Strings(ep.Exposed)

	// 1. Host ports: cheapest to fail on, so first.
	defer func() {
		if retErr != nil {
			for _, p := range ep.Ports {
				m.ports.release(p.Proto, p.HostIP, p.HostPort)
			}
		}
	}()
	for _, w := range wanted {
		ctr := fmt.Sprintf("%d/%s", w.ctr, w.proto)
		hp, err := m.ports.reserve(w.proto, w.hostIP, w.lo, w.hi, ctr)
		if err != nil {
			return nil, err
		}
		ep.Ports = append(ep.Ports, portMapping{Proto: w.proto, HostIP: w.hostIP, HostPort: hp, CtrPort: w.ctr})
	}

	// 2. Addresses and record, in one database transaction (one fsync).
	err = m.cfg.DB.Update(func(tx *bolt.Tx) error {
		var err error
		if ep.IP, ep.Gateway, err = allocFromPools(tx, n, false, req.IPv4, req.ContainerID); err != nil {
			return err
		}
		if ep.IP6, ep.Gateway6, err = allocFromPools(tx, n, true, req.IPv6, req.ContainerID); err != nil {
			return err
		}
		if n.internal {
			ep.Gateway, ep.Gateway6 = netip.Addr{}, netip.Addr{}
		}
		ep.MacAddress = req.MacAddress
		if ep.MacAddress == "" {
			ep.MacAddress = macFromIP(ep.IP.Addr())
		}
		m.seq++
		ep.Seq = m.seq
		return putEndpoint(tx, ep)
	})
	if err != nil {
		if errors.Is(err, errAddressInUse) {
			return nil, errdefs.Conflict("Address already in use")
		}
		return nil, fmt.Errorf("network attach %s: %w", req.ContainerID, err)
	}
	m.eps[key] = ep
	defer func() {
		if retErr != nil {
			delete(m.eps, key)
			_ = m.cfg.DB.Update(func(tx *bolt.Tx) error {
				return errors.Join(ipamRelease(tx, n.ipamKey, ep.IP.Addr(), ep.ContainerID),
					ipamRelease(tx, n.ipamKey, ep.IP6.Addr(), ep.ContainerID), deleteEndpoint(tx, key))
			})
		}
	}()

	// 3. Devices.
	if err := n.drv.Join(ctx, ep); err != nil {
		_ = n.drv.Leave(ctx, ep)
		return nil, err
	}

	// 4. Rules: one transaction, only when something is published.
	if !m.cfg.DisableIPTables {
		script := renderPortDelta(m.cfg.NftTable, dnatEntries(ep), true)
		if !n.icc && ep.HostVeth != "" {
			script += renderICCDelta(m.cfg.NftTable, ep.HostVeth, true)
		}
		if err := nftApply(ctx, script); err != nil {
			_ = n.drv.Leave(ctx, ep)
			return nil, fmt.Errorf("publish ports: %w", err)
		}
	}
	if err := m.startProxies(ep); err != nil {
		_ = nftApply(ctx, renderPortDelta(m.cfg.NftTable, dnatEntries(ep), false))
		_ = n.drv.Leave(ctx, ep)
		return nil, err
	}
	m.reindex()
	if n.ov != nil && len(n.ov.services) > 0 {
		// A failure leaves the VIPs unanswered for this container only;
		// the next change of the services renders them again.
		_ = m.applyVIPs(ctx, req.ContainerID)
	}
	return m.public(ep), nil
}

// checkStaticIP applies Docker's rules for --ip / --ip6.
func checkStaticIP(n *netw, ip netip.Addr, v6 bool) error {
	if !ip.IsValid() {
		return nil
	}
	if n.isDefault() {
		return errdefs.InvalidParameter("user specified IP address is supported on user defined networks only")
	}
	if !n.userSubnet {
		return errdefs.InvalidParameter("user specified IP address is supported only when connecting to networks with user configured subnets")
	}
	if ip.Is4() != v6 {
		for _, p := range n.pools(v6) {
			if p.subnet.Contains(ip) {
				return nil
			}
		}
	}
	return errdefs.InvalidParameter("no configured subnet or ip-range contain the IP address %s", ip)
}

// allocFromPools gives the endpoint an address of one family: static from
// the pool that contains it, else the next free one of the first pool with
// room, as libnetwork's IPAM does. It returns the address with its subnet
// length and that subnet's gateway; nothing when the network has no
// subnet of the family.
func allocFromPools(tx *bolt.Tx, n *netw, v6 bool, static netip.Addr, owner string) (netip.Prefix, netip.Addr, error) {
	var lastErr error
	for i, p := range n.pools(v6) {
		if static.IsValid() && !p.subnet.Contains(static) {
			continue
		}
		// The first pool of a family keeps the historical cursor key, so
		// existing databases go on where they were.
		cursor := ""
		if i > 0 {
			cursor = p.subnet.String()
		}
		ip, err := allocAddr(tx, n.ipamKey, p, static, owner, cursor)
		if err == nil {
			return netip.PrefixFrom(ip, p.subnet.Bits()), p.gateway, nil
		}
		if !errors.Is(err, errPoolFull) {
			return netip.Prefix{}, netip.Addr{}, err
		}
		lastErr = err
	}
	if lastErr == nil && static.IsValid() {
		lastErr = errdefs.InvalidParameter("no configured subnet or ip-range contain the IP address %s", static)
	}
	return netip.Prefix{}, netip.Addr{}, lastErr
}

// allocAddr takes the static address when given, else the next free one.
func allocAddr(tx *bolt.Tx, key string, p ipPool, static netip.Addr, owner, cursor string) (netip.Addr, error) {
	if static.IsValid() {
		if f, l := hostRange(p.subnet); static.Compare(f) < 0 || static.Compare(l) > 0 {
			return netip.Addr{}, errdefs.InvalidParameter("no configured subnet or ip-range contain the IP address %s", static)
		}
		return static, ipamReserve(tx, key, static, owner)
	}
	return ipamAllocate(tx, key, p.subnet, p.ipRange, p.gateway, owner, cursor)
}

// nextIfName is the lowest ethN the container does not use; m.mu held.
func (m *Manager) nextIfName(containerID string) string {
	used := map[string]bool{}
	for k, r := range m.eps {
		if k.ctr == containerID {
			used[r.IfName] = true
		}
	}
	for i := 0; ; i++ {
		if name := fmt.Sprintf("eth%d", i); !used[name] {
			return name
		}
	}
}

// Detach removes the container's endpoint on one network (name or ID);
// idempotent.
func (m *Manager) Detach(ctx context.Context, containerID, network string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookup(network)
	if err != nil {
		return err
	}
	return m.detachLocked(ctx, epKey{containerID, n.id})
}

// DetachAll removes every endpoint of the container; idempotent.
func (m *Manager) DetachAll(ctx context.Context, containerID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs []error
	for _, r := range m.containerEps(containerID) {
		errs = append(errs, m.detachLocked(ctx, r.key()))
	}
	return errors.Join(errs...)
}

func (m *Manager) detachLocked(ctx context.Context, key epKey) error {
	ep, ok := m.eps[key]
	if !ok {
		return nil
	}
	n := m.nets[ep.Network]
	if n != nil && n.drv != nil {
		if err := n.drv.Leave(ctx, ep); err != nil {
			return err
		}
	}
	script := renderPortDelta(m.cfg.NftTable, dnatEntries(ep), false)
	if n != nil && n.firewalled() && !n.icc && ep.HostVeth != "" {
		script += renderICCDelta(m.cfg.NftTable, ep.HostVeth, false)
	}
	if script != "" && !m.cfg.DisableIPTables {
		if err := nftApply(ctx, script); err != nil {
			// Out of step with the kernel (table flushed by hand?):
			// rebuild the whole table without this endpoint.
			delete(m.eps, key)
			if err := m.syncTable(ctx); err != nil {
				m.eps[key] = ep
				return fmt.Errorf("unpublish ports: %w", err)
			}
		}
	}
	ipamKey := ep.Network
	if n != nil {
		ipamKey = n.ipamKey
	}
	err := m.cfg.DB.Update(func(tx *bolt.Tx) error {
		return errors.Join(ipamRelease(tx, ipamKey, ep.IP.Addr(), ep.ContainerID),
			ipamRelease(tx, ipamKey, ep.IP6.Addr(), ep.ContainerID), deleteEndpoint(tx, key))
	})
	if err != nil {
		return fmt.Errorf("network detach %s: %w", key.ctr, err)
	}
	for _, p := range ep.Ports {
		m.ports.release(p.Proto, p.HostIP, p.HostPort)
	}
	delete(m.eps, key)
	m.reindex()
	if n != nil && n.isDefault() {
		m.dropLinks(ctx, key.ctr)
	}
	m.dropIngressAddrLocked(ctx, ep.IP.Addr())
	if n != nil && n.removing && !m.hasEndpoints(n) {
		return m.removeLocked(ctx, n)
	}
	return nil
}
