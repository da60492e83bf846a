package network

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/berth-project/berth/internal/errdefs"
)

// The ingress load balancer: a swarm service's published port is one host
// port spread over the service's task containers on this node, as Docker's
// routing mesh does with IPVS (which this kernel lacks). Each published
// port is one DNAT rule of chain "ingress", which "published" jumps to:
//
//	meta nfproto ipv4 tcp dport 4000 dnat ip to numgen inc mod 3 map { 0 : 10.0.0.2, 1 : 10.0.0.3, 2 : 10.0.0.4 } : 80
//
// numgen inc hands successive connections to successive backends. Only new
// connections go through the nat chains: conntrack keeps every existing
// one on the backend it started with, so the chain can be flushed and
// rewritten in one transaction whenever a backend comes or goes without
// breaking anything. The host port is held like a container's -p binding
// (portReserver), so the two cannot clash.
//
// State lives in memory only. New rebuilds our table without ingress
// rules and holds no ingress port: after a daemon restart the swarm
// executor re-adds the backends of the tasks it re-attaches.

// IngressPort is one published port of a swarm service.
type IngressPort struct {
	Proto     string // "tcp" or "udp"
	Published uint16
	Target    uint16
}

// ingressService is one service's published ports and its backends in
// the order they were added.
type ingressService struct {
	ports    []IngressPort
	backends []netip.Addr
	// remote: the service's tasks on other nodes (ingress overlay
	// addresses), sorted.
	remote []netip.Addr
}

// all is every backend, local ones first.
func (s *ingressService) all() []netip.Addr {
	return append(slices.Clone(s.backends), s.remote...)
}

// ingressChain is the regular chain of our inet table holding the rules.
const ingressChain = "ingress"

// validateIngress checks a service's port list and a backend address.
func validateIngress(service string, ports []IngressPort, backend netip.Addr) error {
	if service == "" {
		return errdefs.InvalidParameter("ingress: service name is required")
	}
	if len(ports) == 0 {
		return errdefs.InvalidParameter("ingress: service %s publishes no port", service)
	}
	seen := map[portKey]bool{}
	for _, p := range ports {
		switch p.Proto {
		case "tcp", "udp":
		case "sctp":
			return sctpError()
		default:
			return errdefs.InvalidParameter("invalid proto: %s", p.Proto)
		}
		if p.Published == 0 || p.Target == 0 {
			return errdefs.InvalidParameter("ingress: invalid port %d:%d/%s", p.Published, p.Target, p.Proto)
		}
		k := portKey{proto: p.Proto, port: p.Published}
		if seen[k] {
			return errdefs.InvalidParameter("ingress: port %d/%s is published twice", p.Published, p.Proto)
		}
		seen[k] = true
	}
	if !backend.IsValid() {
		return errdefs.InvalidParameter("ingress: backend address is required")
	}
	if !backend.Unmap().Is4() {
		return errdefs.NotImplemented("ingress: IPv6 backend %s: not implemented", backend)
	}
	return nil
}

func hasIngressPort(ports []IngressPort, p IngressPort) bool {
	return slices.ContainsFunc(ports, func(q IngressPort) bool { return q.Proto == p.Proto && q.Published == p.Published })
}

// AddIngressBackend adds a task container's address as a backend of the
// service's published ports; the ports are opened on first use. ports is
// the service's full list (the same on every call for a service). A
// different list replaces the service's ports (service update): added
// ones are opened, dropped ones closed. A port already published by a
// container or another service is a PortAllocatedError, and nothing
// changes.
func (m *Manager) AddIngressBackend(ctx context.Context, service string, ports []IngressPort, backend netip.Addr) error {
	if err := validateIngress(service, ports, backend); err != nil {
		return err
	}
	backend = backend.Unmap()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cfg.DisableIPTables {
		return errdefs.NotImplemented("ingress routing mesh with --iptables=false: not implemented")
	}
	next := &ingressService{ports: slices.Clone(ports)}
	if old := m.ingress[service]; old != nil {
		next.backends, next.remote = slices.Clone(old.backends), old.remote
	}
	if !slices.Contains(next.backends, backend) {
		next.backends = append(next.backends, backend)
	}
	return m.setIngressLocked(ctx, service, next)
}

// SetIngressRemote sets the backends of the service on other nodes: the
// tasks' addresses on the ingress overlay, reached through this node's
// ingress bridge (SetIngressAddr). Empty remote with no local backend
// closes the ports.
func (m *Manager) SetIngressRemote(ctx context.Context, service string, ports []IngressPort, remote []netip.Addr) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cfg.DisableIPTables {
		return nil
	}
	old := m.ingress[service]
	remote = slices.Clone(remote)
	sortAddrs(remote)
	if old != nil && slices.Equal(old.remote, remote) && slices.Equal(old.ports, ports) {
		return nil
	}
	if len(remote) > 0 {
		if err := validateIngress(service, ports, remote[0]); err != nil {
			return err
		}
	}
	next := &ingressService{ports: slices.Clone(ports), remote: remote}
	if old != nil {
		next.backends = old.backends
		if len(ports) == 0 {
			next.ports = old.ports
		}
	}
	if len(next.backends) == 0 && len(next.remote) == 0 {
		return m.closeIngressLocked(ctx, service)
	}
	return m.setIngressLocked(ctx, service, next)
}

// closeIngressLocked drops the service and closes its ports; m.mu held.
func (m *Manager) closeIngressLocked(ctx context.Context, service string) error {
	old := m.ingress[service]
	if old == nil {
		return nil
	}
	delete(m.ingress, service)
	if err := m.applyIngress(ctx); err != nil {
		m.restoreIngress(ctx, service, old)
		return err
	}
	// After the rules are gone: the port is never reachable while
	// unreserved.
	for _, p := range old.ports {
		m.ports.release(p.Proto, netip.Addr{}, p.Published)
	}
	return nil
}

// setIngressLocked makes next the service's state: ports it adds are
// reserved (a port already published by a container or another service
// is a PortAllocatedError and nothing changes), ports it drops released;
// m.mu held.
func (m *Manager) setIngressLocked(ctx context.Context, service string, next *ingressService) error {
	old := m.ingress[service]
	var prevPorts []IngressPort
	if old != nil {
		prevPorts = old.ports
	}
	var taken, dropped []IngressPort
	release := func(ps []IngressPort) {
		for _, p := range ps {
			m.ports.release(p.Proto, netip.Addr{}, p.Published)
		}
	}
	for _, p := range next.ports {
		if hasIngressPort(prevPorts, p) {
			continue
		}
		ctr := fmt.Sprintf("%d/%s", p.Target, p.Proto)
		if _, err := m.ports.reserve(p.Proto, netip.Addr{}, p.Published, p.Published, ctr); err != nil {
			release(taken)
			return err
		}
		taken = append(taken, p)
	}
	for _, p := range prevPorts {
		if !hasIngressPort(next.ports, p) {
			dropped = append(dropped, p)
		}
	}
	if m.ingress == nil {
		m.ingress = map[string]*ingressService{}
	}
	m.ingress[service] = next
	if err := m.applyIngress(ctx); err != nil {
		m.restoreIngress(ctx, service, old)
		release(taken)
		return err
	}
	release(dropped)
	return nil
}

// RemoveIngressBackend removes the backend; with no backend left the ports
// are closed. Unknown services and backends are not an error.
func (m *Manager) RemoveIngressBackend(ctx context.Context, service string, backend netip.Addr) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.removeIngressBackendLocked(ctx, service, backend.Unmap())
}

func (m *Manager) removeIngressBackendLocked(ctx context.Context, service string, backend netip.Addr) error {
	old := m.ingress[service]
	if old == nil || !slices.Contains(old.backends, backend) {
		return nil
	}
	next := &ingressService{ports: old.ports, remote: old.remote, backends: slices.DeleteFunc(slices.Clone(old.backends), func(a netip.Addr) bool { return a == backend })}
	if len(next.backends) == 0 && len(next.remote) == 0 {
		return m.closeIngressLocked(ctx, service)
	}
	m.ingress[service] = next
	if err := m.applyIngress(ctx); err != nil {
		m.restoreIngress(ctx, service, old)
		return err
	}
	return nil
}

// dropIngressAddrLocked takes a detached endpoint's address out of every
// service: it may be handed to another container next. Best effort, the
// endpoint is gone either way.
func (m *Manager) dropIngressAddrLocked(ctx context.Context, addr netip.Addr) {
	if !addr.IsValid() {
		return
	}
	for _, name := range m.ingressNames() {
		_ = m.removeIngressBackendLocked(ctx, name, addr)
	}
}

// restoreIngress puts a service's previous state back after a failed
// change, and the kernel with it as far as it goes.
func (m *Manager) restoreIngress(ctx context.Context, service string, old *ingressService) {
	if old == nil {
		delete(m.ingress, service)
	} else {
		m.ingress[service] = old
	}
	_ = m.applyIngress(ctx)
}

// applyIngress rewrites the ingress chain from m.ingress, falling back to
// a full rebuild when the kernel is out of step (chain removed by hand).
func (m *Manager) applyIngress(ctx context.Context) error {
	if err := nftApply(ctx, renderIngressDelta(m.cfg.NftTable, m.ingressRules())); err != nil {
		if err := m.syncTable(ctx); err != nil {
			return fmt.Errorf("ingress rules: %w", err)
		}
	}
	return nil
}

func (m *Manager) ingressNames() []string {
	names := make([]string, 0, len(m.ingress))
	for n := range m.ingress {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ingressRules renders every service's rules, services by name.
func (m *Manager) ingressRules() []string {
	var out []string
	for _, name := range m.ingressNames() {
		out = append(out, renderIngressRules(name, m.ingress[name])...)
	}
	return out
}

// renderIngressRules is one rule per published port of the service.
func renderIngressRules(name string, s *ingressService) []string {
	if s == nil {
		return nil
	}
	backends := s.all()
	if len(backends) == 0 {
		return nil
	}
	out := make([]string, 0, len(s.ports))
	for _, p := range s.ports {
		var to string
		if len(backends) == 1 {
			to = backends[0].String()
		} else {
			els := make([]string, len(backends))
			for i, b := range backends {
				els[i] = fmt.Sprintf("%d : %s", i, b)
			}
			to = fmt.Sprintf("numgen inc mod %d map { %s }", len(backends), strings.Join(els, ", "))
		}
		out = append(out, fmt.Sprintf("meta nfproto ipv4 %s dport %d dnat ip to %s : %d comment %q",
			p.Proto, p.Published, to, p.Target, "ingress "+nftCommentSafe(name)))
	}
	return out
}

// nftCommentSafe keeps a service name usable inside an nft comment, which
// knows no escapes.
func nftCommentSafe(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r < ' ' || r > '~' {
			return '_'
		}
		return r
	}, s)
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}

// renderIngressDelta replaces the ingress chain's rules in one
// transaction.
func renderIngressDelta(table string, rules []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "flush chain inet %s %s\n", table, ingressChain)
	for _, r := range rules {
		fmt.Fprintf(&b, "add rule inet %s %s %s\n", table, ingressChain, r)
	}
	return b.String()
}
