// Package network gives containers their network: the default bridge
// (berth0), IP allocation, veth pairs into pre-created network namespaces,
// outbound NAT and published ports, all rules in our own nftables table.
//
// Published ports are DNATed in the kernel (prerouting and output hooks,
// route_localnet on the bridge for 127.0.0.1) rather than proxied in
// userland: no process per port, no extra copy, and attaching a container
// costs one `nft -f` transaction that adds map elements.
package network

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/network"
	bolt "go.etcd.io/bbolt"
)

// Defaults. 172.30.0.0/16 stays clear of Docker Engine's 172.17.0.0/16 so
// both can run side by side.
const (
	DefaultBridgeName = "berth0"
	DefaultBridgeIP   = "172.30.0.1/16"
	DefaultNftTable   = "berth"
	DefaultMTU        = 1500
	// DefaultNetworkName is the Docker name of the default bridge network.
	DefaultNetworkName = "bridge"
)

// AddressPool is one --default-address-pools entry: subnets of Size bits
// are carved out of Base for networks created without --subnet.
type AddressPool struct {
	Base string `json:"base"`
	Size int    `json:"size"`
}

// DefaultAddressPools: /24s of 172.31.0.0/16, next to the default bridge's
// 172.30.0.0/16 and clear of it. Subnets that overlap a route on the host
// (Docker Engine's networks, the LAN) are skipped when allocating.
var DefaultAddressPools = []AddressPool{{Base: "172.31.0.0/16", Size: 24}}

// defaultPool6 gives --ipv6 networks without an IPv6 subnet a /64 of a ULA
// prefix of ours.
var defaultPool6 = AddressPool{Base: "fdb7:e27f:2c00::/40", Size: 64}

// Config configures the Manager (from daemon flags / daemon.json). The
// Disable* fields are the negated dockerd flags (--icc, --ip-forward,
// --iptables), so the zero Config behaves like dockerd's defaults.
type Config struct {
	BridgeName string   // "berth0"; "none" disables the default bridge
	BridgeIP   string   // --bip, CIDR of the bridge address, default "172.30.0.1/16"
	MTU        int      // --mtu for the default bridge; 0: 1500
	NftTable   string   // our nftables table name, "berth" by default
	DNS        []string // daemon --dns
	DNSSearch  []string // --dns-search, for the containers' resolv.conf
	DNSOptions []string // --dns-opt, for the containers' resolv.conf
	DB         *bolt.DB // networks, IPAM and endpoint state, in our own buckets
	// StateDir keeps what is not in the database: the admin's rules of the
	// user chain, saved when our table is deleted (<data-root>/network).
	StateDir string

	DisableICC       bool   // --icc=false: default-bridge containers only talk when linked
	DisableIPForward bool   // --ip-forward=false: leave net.ipv4.ip_forward alone
	DisableIPTables  bool   // --iptables=false: install no firewall rules at all
	IPv6             bool   // --ipv6: dual stack on the default bridge
	FixedCIDR        string // --fixed-cidr: default-bridge addresses come from here
	FixedCIDRv6      string // --fixed-cidr-v6: the default bridge's IPv6 subnet
	// DefaultAddressPools: nil means DefaultAddressPools.
	DefaultAddressPools []AddressPool
}

// Manager owns the bridges, IPAM and firewall rules.
type Manager struct {
	cfg Config

	mu       sync.Mutex
	def      *netw            // default bridge network; nil when BridgeName is "none"
	nets     map[string]*netw // by ID, predefined ones included
	eps      map[epKey]*endpointRecord
	links    map[[2]string]bool // container ID pairs allowed with --icc=false
	seq      int64              // last endpoint Seq
	dns      atomic.Pointer[dnsIndex]
	ports    *portReserver
	fwdChain string
	// fwdIdle: the last FORWARD check found neither a drop nor our jump.
	fwdIdle atomic.Bool
	// ingress: swarm services' published ports by service (ingress.go);
	// in memory only.
	ingress map[string]*ingressService

	stop chan struct{}
	done chan struct{}
}

// New ensures the bridges, the nftables table with NAT, and IP forwarding;
// idempotent across daemon restarts. Networks and endpoints persisted in
// cfg.DB are restored: bridges are re-created, host ports reserved again
// and rules rebuilt, so containers that survived a daemon restart keep
// working. The caller should Detach endpoints of containers that are no
// longer running.
func New(ctx context.Context, cfg Config) (_ *Manager, retErr error) {
	if cfg.DB == nil {
		return nil, errdefs.InvalidParameter("network: Config.DB is required")
	}
	if cfg.BridgeName == "" {
		cfg.BridgeName = DefaultBridgeName
	}
	if cfg.BridgeIP == "" {
		cfg.BridgeIP = DefaultBridgeIP
	}
	if cfg.MTU == 0 {
		cfg.MTU = DefaultMTU
	}
	if cfg.NftTable == "" {
		cfg.NftTable = DefaultNftTable
	}
	if cfg.DefaultAddressPools == nil {
		cfg.DefaultAddressPools = DefaultAddressPools
	}
	if err := validatePools(cfg.DefaultAddressPools); err != nil {
		return nil, err
	}
	m := &Manager{
		cfg:      cfg,
		nets:     map[string]*netw{},
		eps:      map[epKey]*endpointRecord{},
		ports:    newPortReserver(),
		fwdChain: forwardChain(cfg.NftTable),
	}
	defer func() {
		if retErr != nil {
			m.ports.releaseAll()
		}
	}()
	if err := m.loadNetworks(ctx); err != nil {
		return nil, err
	}
	if m.def != nil && !cfg.DisableIPForward {
		if err := writeSysctl("net/ipv4/ip_forward", "1"); err != nil {
			return nil, err
		}
	}
	m.enableIPv6Forwarding()
	defID := ""
	if m.def != nil {
		defID = m.def.id
	}
	eps, err := loadEndpoints(cfg.DB, defID)
	if err != nil {
		return nil, fmt.Errorf("load endpoints: %w", err)
	}
	m.eps = eps
	for _, ep := range eps {
		m.seq = max(m.seq, ep.Seq)
		for _, p := range ep.Ports {
			// A host process may have taken the port while we were down;
			// keep the rule (the container still owns the binding) and go on.
			_ = m.ports.take(p)
		}
		_ = m.startProxies(ep)
	}
	m.reindex()
	if m.links, err = loadLinks(cfg.DB); err != nil {
		return nil, fmt.Errorf("load links: %w", err)
	}
	if err := m.syncTable(ctx); err != nil {
		return nil, err
	}
	if !cfg.DisableIPTables {
		if err := m.ensureForward(ctx, m.bridges()); err != nil {
			return nil, err
		}
		m.stop, m.done = make(chan struct{}), make(chan struct{})
		go m.watchForward(m.stop, m.done)
	}
	return m, nil
}

// watchForward re-checks the host FORWARD chain now and then: Docker Engine
// may start after us and switch its policy to DROP.
func (m *Manager) watchForward(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = m.ensureForward(ctx, m.bridges())
			cancel()
		}
	}
}

func (m *Manager) bridges() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.bridgesLocked()
}

func (m *Manager) bridgesLocked() []string {
	var out []string
	for _, n := range m.sortedNets() {
		if n.firewalled() {
			out = append(out, n.iface)
		}
	}
	return out
}

// sortedNets returns the networks by name, for deterministic rules.
func (m *Manager) sortedNets() []*netw {
	out := make([]*netw, 0, len(m.nets))
	for _, n := range m.nets {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// spec is the full table contents for the current state; m.mu held or
// exclusive access.
func (m *Manager) spec() tableSpec {
	s := tableSpec{Table: m.cfg.NftTable}
	for _, n := range m.sortedNets() {
		if !n.firewalled() {
			continue
		}
		s.Networks = append(s.Networks, n.rules())
	}
	for _, ep := range m.eps {
		s.Ports = append(s.Ports, dnatEntries(ep)...)
		if n := m.nets[ep.Network]; n != nil && n.firewalled() && !n.icc && ep.HostVeth != "" {
			s.NoICCPorts = append(s.NoICCPorts, ep.HostVeth)
		}
	}
	s.Links = m.linkElements()
	s.Ingress = m.ingressRules()
	return s
}

// syncTable replaces our tables with what the state says, keeping the
// admin's rules of the user chain.
func (m *Manager) syncTable(ctx context.Context) error {
	if m.cfg.DisableIPTables {
		return nil
	}
	s := m.spec()
	s.UserRules = m.userRules(ctx)
	return nftApply(ctx, renderTable(s))
}

func dnatEntries(ep *endpointRecord) []dnatEntry {
	out := make([]dnatEntry, 0, len(ep.Ports))
	for _, p := range ep.Ports {
		if needsProxy(ep, p) {
			continue
		}
		switch {
		case p.HostIP.Is6():
			out = append(out, dnatEntry{portMapping: p, CtrIP: ep.IP6.Addr()})
		case p.HostIP.IsValid() || ep.IP.IsValid():
			out = append(out, dnatEntry{portMapping: p, CtrIP: ep.IP.Addr()})
		}
		// A binding on all addresses also answers on the host's IPv6
		// addresses when the container has one, as with Docker.
		if !p.HostIP.IsValid() && ep.IP6.IsValid() {
			out = append(out, dnatEntry{portMapping: p, CtrIP: ep.IP6.Addr(), all6: true})
		}
	}
	return out
}

// Close releases in-memory resources (not rules; Shutdown does that).
func (m *Manager) Close() error {
	// The watcher takes m.mu itself: stop it before locking.
	m.mu.Lock()
	stop, done := m.stop, m.done
	m.stop = nil
	m.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ports.releaseAll()
	for _, n := range m.nets {
		if n.drv != nil {
			n.drv.wait()
		}
	}
	return nil
}

// Shutdown removes our nftables tables, the FORWARD jump, the bridges and
// devices of every network, for a daemon stopping without live-restore.
// The admin's user-chain rules are saved first (New restores them).
// Network and endpoint records stay in the database (New restores them;
// Detach cleans them up). It also Closes.
func (m *Manager) Shutdown(ctx context.Context) error {
	_ = m.Close()
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs []error
	if !m.cfg.DisableIPTables {
		m.userRules(ctx) // saves them to StateDir
		for _, t := range []string{m.cfg.NftTable, m.overlayARPTable(), m.meshTable()} {
			if err := nftDeleteTable(ctx, t); err != nil {
				errs = append(errs, err)
			}
		}
		if err := removeForward(ctx, m.fwdChain); err != nil {
			errs = append(errs, err)
		}
	}
	for _, ep := range m.eps {
		if n := m.nets[ep.Network]; n != nil && n.drv != nil {
			_ = n.drv.Leave(ctx, ep)
		}
	}
	for _, n := range m.sortedNets() {
		if n.drv == nil {
			continue
		}
		if n.rec.Overlay {
			_ = delLink(vxlanName(n.id))
		}
		if err := n.drv.Teardown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("network shutdown: %v", errs)
	}
	return nil
}

// Endpoint returns the container's first endpoint (by attach order).
func (m *Manager) Endpoint(containerID string) (*Endpoint, error) {
	if eps := m.Endpoints(containerID); len(eps) > 0 {
		return eps[0], nil
	}
	return nil, errdefs.NotFound("container %s is not connected to the network", containerID)
}

// Endpoints returns the container's endpoints in attach order.
func (m *Manager) Endpoints(containerID string) []*Endpoint {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*Endpoint
	for _, r := range m.containerEps(containerID) {
		out = append(out, m.public(r))
	}
	return out
}

// containerEps returns the container's endpoint records in attach order.
func (m *Manager) containerEps(containerID string) []*endpointRecord {
	var out []*endpointRecord
	for k, r := range m.eps {
		if k.ctr == containerID {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

// Gateway returns the default bridge's subnet and gateway (for
// NetworkSettings and /networks); ok is false when the bridge is disabled.
func (m *Manager) Gateway() (subnet netip.Prefix, gateway netip.Addr, ok bool) {
	if m.def == nil {
		return netip.Prefix{}, netip.Addr{}, false
	}
	return m.def.subnet, m.def.gateway, true
}

// DNSConfig returns the daemon's --dns, --dns-search and --dns-opt, for
// the containers' resolv.conf.
func (m *Manager) DNSConfig() (servers, search, options []string) {
	return m.cfg.DNS, m.cfg.DNSSearch, m.cfg.DNSOptions
}

func (m *Manager) public(r *endpointRecord) *Endpoint {
	ports := network.PortMap{}
	for _, e := range r.Exposed {
		if k, err := network.ParsePort(e); err == nil {
			ports[k] = nil
		}
	}
	for _, p := range r.Ports {
		k, ok := network.PortFrom(p.CtrPort, network.IPProtocol(p.Proto))
		if !ok {
			continue
		}
		hip := p.HostIP
		if !hip.IsValid() {
			hip = netip.IPv4Unspecified()
		}
		ports[k] = append(ports[k], network.PortBinding{HostIP: hip, HostPort: fmt.Sprint(p.HostPort)})
		if !p.HostIP.IsValid() && r.IP6.IsValid() {
			ports[k] = append(ports[k], network.PortBinding{HostIP: netip.IPv6Unspecified(), HostPort: fmt.Sprint(p.HostPort)})
		}
	}
	ep := &Endpoint{IP: r.IP, Gateway: r.Gateway, MacAddress: r.MacAddress, HostVeth: r.HostVeth, Ports: ports,
		NetworkID: r.Network, EndpointID: r.EndpointID, IfName: r.IfName, IPv6: r.IP6, Gateway6: r.Gateway6,
		Aliases: append([]string(nil), r.Aliases...)}
	if n := m.nets[r.Network]; n != nil {
		ep.NetworkName = n.name
	}
	return ep
}
