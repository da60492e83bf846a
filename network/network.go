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
	"sync"
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

// Config configures the Manager (from daemon flags / daemon.json).
type Config struct {
	BridgeName string   // "berth0"; "none" disables the default bridge
	BridgeIP   string   // --bip, CIDR of the bridge address, default "172.30.0.1/16"
	MTU        int      // 0: 1500
	NftTable   string   // our nftables table name, "berth" by default
	DNS        []string // daemon --dns
	DB         *bolt.DB // IPAM and endpoint state, in our own buckets
}

// Manager owns the bridge, IPAM and firewall rules.
type Manager struct {
	cfg Config

	mu       sync.Mutex
	def      *netw // default bridge network; nil when BridgeName is "none"
	eps      map[string]*endpointRecord
	ports    *portReserver
	fwdChain string

	stop chan struct{}
	done chan struct{}
}

// New ensures the bridge, the nftables table with NAT, and IP forwarding;
// idempotent across daemon restarts. Endpoints persisted in cfg.DB are
// restored: their host ports are reserved again and their DNAT rules
// rebuilt, so containers that survived a daemon restart keep working. The
// caller should Detach endpoints of containers that are no longer running.
func New(ctx context.Context, cfg Config) (*Manager, error) {
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
	m := &Manager{
		cfg:      cfg,
		eps:      map[string]*endpointRecord{},
		ports:    newPortReserver(),
		fwdChain: forwardChain(cfg.NftTable),
	}
	if cfg.BridgeName != "none" {
		bip, err := netip.ParsePrefix(cfg.BridgeIP)
		if err != nil || !bip.Addr().Is4() || bip.Bits() > 30 || bip.Addr() == bip.Masked().Addr() {
			return nil, errdefs.InvalidParameter("invalid bridge IP %q: want an IPv4 host address in CIDR form, prefix /30 or shorter", cfg.BridgeIP)
		}
		m.def = &netw{
			name: DefaultNetworkName, iface: cfg.BridgeName, subnet: bip.Masked(), gateway: bip.Addr(), mtu: cfg.MTU,
			drv: &bridgeDriver{name: cfg.BridgeName, addr: bip, mtu: cfg.MTU},
		}
		if err := m.def.drv.Setup(ctx); err != nil {
			return nil, err
		}
		if err := writeSysctl("net/ipv4/ip_forward", "1"); err != nil {
			return nil, err
		}
	}
	eps, err := loadEndpoints(cfg.DB)
	if err != nil {
		return nil, fmt.Errorf("load endpoints: %w", err)
	}
	m.eps = eps
	for _, ep := range eps {
		for _, p := range ep.Ports {
			// A host process may have taken the port while we were down;
			// keep the rule (the container still owns the binding) and go on.
			_ = m.ports.take(p)
		}
	}
	if err := m.syncTable(ctx); err != nil {
		m.ports.releaseAll()
		return nil, err
	}
	if m.def != nil {
		if _, err := ensureForward(ctx, m.fwdChain, m.bridges()); err != nil {
			m.ports.releaseAll()
			return nil, err
		}
		m.stop, m.done = make(chan struct{}), make(chan struct{})
		go m.watchForward()
	}
	return m, nil
}

// watchForward re-checks the host FORWARD chain now and then: Docker Engine
// may start after us and switch its policy to DROP.
func (m *Manager) watchForward() {
	defer close(m.done)
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, _ = ensureForward(ctx, m.fwdChain, m.bridges())
			cancel()
		}
	}
}

func (m *Manager) bridges() []string {
	if m.def == nil {
		return nil
	}
	return []string{m.def.iface}
}

// network returns the network an endpoint record belongs to.
func (m *Manager) network(name string) *netw {
	if m.def != nil && name == m.def.name {
		return m.def
	}
	return nil
}

// spec is the full table contents for the current state; m.mu held or
// exclusive access.
func (m *Manager) spec() tableSpec {
	s := tableSpec{Table: m.cfg.NftTable}
	if m.def != nil {
		s.Networks = append(s.Networks, m.def.rules())
	}
	for _, ep := range m.eps {
		s.Ports = append(s.Ports, dnatEntries(ep)...)
	}
	return s
}

func (m *Manager) syncTable(ctx context.Context) error {
	return nftApply(ctx, renderTable(m.spec()))
}

func dnatEntries(ep *endpointRecord) []dnatEntry {
	out := make([]dnatEntry, 0, len(ep.Ports))
	for _, p := range ep.Ports {
		out = append(out, dnatEntry{portMapping: p, CtrIP: ep.IP.Addr()})
	}
	return out
}

// Close releases in-memory resources (not rules; Shutdown does that).
func (m *Manager) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stop != nil {
		close(m.stop)
		<-m.done
		m.stop = nil
	}
	m.ports.releaseAll()
	if m.def != nil {
		m.def.drv.wait()
	}
	return nil
}

// Shutdown removes our nftables table, the FORWARD jump and the bridge, for
// a daemon stopping without live-restore. Endpoint records stay in the
// database (New restores them; Detach cleans them up). It also Closes.
func (m *Manager) Shutdown(ctx context.Context) error {
	_ = m.Close()
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs []error
	if err := nftDeleteTable(ctx, m.cfg.NftTable); err != nil {
		errs = append(errs, err)
	}
	if m.def != nil {
		if err := removeForward(ctx, m.fwdChain); err != nil {
			errs = append(errs, err)
		}
		for _, ep := range m.eps {
			_ = m.def.drv.Leave(ctx, ep)
		}
		if err := m.def.drv.Teardown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("network shutdown: %v", errs)
	}
	return nil
}

// Endpoint returns the persisted endpoint of a container.
func (m *Manager) Endpoint(containerID string) (*Endpoint, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ep, ok := m.eps[containerID]
	if !ok {
		return nil, errdefs.NotFound("container %s is not connected to the network", containerID)
	}
	return ep.public(), nil
}

// Gateway returns the default bridge's subnet and gateway (for
// NetworkSettings and /networks); ok is false when the bridge is disabled.
func (m *Manager) Gateway() (subnet netip.Prefix, gateway netip.Addr, ok bool) {
	if m.def == nil {
		return netip.Prefix{}, netip.Addr{}, false
	}
	return m.def.subnet, m.def.gateway, true
}

func (r *endpointRecord) public() *Endpoint {
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
	}
	return &Endpoint{IP: r.IP, Gateway: r.Gateway, MacAddress: r.MacAddress, HostVeth: r.HostVeth, Ports: ports}
}
