package network

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/berth-project/berth/internal/errdefs"
	bolt "go.etcd.io/bbolt"
)

// Link lets two containers of the default bridge talk to each other when
// ICC is off there (--link with --icc=false). Both must be attached to the
// default bridge; the exception goes away when either is detached.
func (m *Manager) Link(ctx context.Context, fromID, toID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.def == nil {
		return errdefs.NotFound("network %s not found", DefaultNetworkName)
	}
	a, b := m.eps[epKey{fromID, m.def.id}], m.eps[epKey{toID, m.def.id}]
	if a == nil || b == nil {
		return errdefs.InvalidParameter("cannot link %s to %s: both must be connected to the default bridge", fromID, toID)
	}
	pair := [2]string{fromID, toID}
	if m.links[pair] {
		return nil
	}
	err := m.cfg.DB.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists(linkBucket)
		if err != nil {
			return err
		}
		return bk.Put([]byte(fromID+"/"+toID), nil)
	})
	if err != nil {
		return fmt.Errorf("store link: %w", err)
	}
	m.links[pair] = true
	if m.cfg.DisableIPTables {
		return nil
	}
	if err := nftApply(ctx, renderLinkDelta(m.cfg.NftTable, linkPairs(a, b), true)); err != nil {
		return fmt.Errorf("allow link %s -> %s: %w", fromID, toID, err)
	}
	return nil
}

func linkPairs(a, b *endpointRecord) []string {
	x, y := a.IP.Addr(), b.IP.Addr()
	return []string{fmt.Sprintf("%s . %s", x, y), fmt.Sprintf("%s . %s", y, x)}
}

// linkElements lists the IPv4 pairs of every link whose containers are
// both attached; m.mu held.
func (m *Manager) linkElements() []string {
	if m.def == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for pair := range m.links {
		a, b := m.eps[epKey{pair[0], m.def.id}], m.eps[epKey{pair[1], m.def.id}]
		if a == nil || b == nil {
			continue
		}
		for _, e := range linkPairs(a, b) {
			if !seen[e] {
				seen[e] = true
				out = append(out, e)
			}
		}
	}
	sort.Strings(out)
	return out
}

// dropLinks forgets every link of a container leaving the default bridge;
// m.mu held and its endpoint already removed from m.eps.
func (m *Manager) dropLinks(ctx context.Context, id string) {
	var gone []string
	for pair := range m.links {
		if pair[0] == id || pair[1] == id {
			delete(m.links, pair)
			gone = append(gone, pair[0]+"/"+pair[1])
		}
	}
	if len(gone) == 0 {
		return
	}
	_ = m.cfg.DB.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(linkBucket)
		if bk == nil {
			return nil
		}
		var errs []error
		for _, k := range gone {
			errs = append(errs, bk.Delete([]byte(k)))
		}
		return errors.Join(errs...)
	})
	// Re-render the set: the pairs' addresses may be shared by other links.
	_ = m.syncTable(ctx)
}

// The DNS server asks on every query, while Attach holds m.mu across
// netlink and nft calls for tens of milliseconds. So lookups read an
// immutable snapshot of the user networks' endpoints, rebuilt whenever
// endpoints change (reindex), and never wait for the lock.

type dnsEntry struct {
	name    string   // container name
	names   []string // lower-cased container name and aliases
	ip, ip6 netip.Prefix
}

type dnsIndex struct {
	nets    map[string][]string   // container ID -> IDs of its user networks
	netName map[string]string     // network ID -> name
	members map[string][]dnsEntry // network ID -> endpoints
	// records: swarm service names on overlay networks (overlay.go).
	records map[string]map[string][]netip.Addr
}

// reindex rebuilds the DNS snapshot; m.mu held.
func (m *Manager) reindex() {
	idx := &dnsIndex{nets: map[string][]string{}, netName: map[string]string{}, members: map[string][]dnsEntry{},
		records: map[string]map[string][]netip.Addr{}}
	for id, n := range m.nets {
		if r := overlayRecords(n); r != nil {
			idx.records[id] = r
		}
	}
	for k, ep := range m.eps {
		n := m.nets[k.net]
		if n == nil || n.isDefault() || n.rec.Predefined {
			continue
		}
		idx.nets[k.ctr] = append(idx.nets[k.ctr], n.id)
		idx.netName[n.id] = n.name
		e := dnsEntry{name: ep.ContainerName, ip: ep.IP, ip6: ep.IP6}
		for _, c := range append([]string{ep.ContainerName}, ep.Aliases...) {
			if c != "" {
				e.names = append(e.names, strings.ToLower(c))
			}
		}
		idx.members[n.id] = append(idx.members[n.id], e)
	}
	m.dns.Store(idx)
}

// ResolveName answers the embedded DNS server of containerID: the container
// names and aliases of the endpoints on the user-defined networks it shares
// with them, bare or as "name.network", case-insensitively.
func (m *Manager) ResolveName(containerID, name string) (v4, v6 []netip.Addr) {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	idx := m.dns.Load()
	if name == "" || idx == nil {
		return nil, nil
	}
	seen := map[netip.Addr]bool{}
	for _, nid := range idx.nets[containerID] {
		suffix := "." + strings.ToLower(idx.netName[nid])
		for _, a := range idx.records[nid][strings.TrimSuffix(name, suffix)] {
			if !seen[a] {
				seen[a] = true
				v4 = append(v4, a)
			}
		}
		for _, e := range idx.members[nid] {
			match := false
			for _, c := range e.names {
				if name == c || name == c+suffix {
					match = true
					break
				}
			}
			if !match {
				continue
			}
			if a := e.ip.Addr(); e.ip.IsValid() && !seen[a] {
				seen[a] = true
				v4 = append(v4, a)
			}
			if a := e.ip6.Addr(); e.ip6.IsValid() && !seen[a] {
				seen[a] = true
				v6 = append(v6, a)
			}
		}
	}
	sortAddrs(v4)
	sortAddrs(v6)
	return v4, v6
}

// ResolveAddr answers reverse lookups of containerID's DNS server with
// Docker's "name.network" for an address on a shared user network.
func (m *Manager) ResolveAddr(containerID string, ip netip.Addr) (name string, ok bool) {
	ip = ip.Unmap()
	idx := m.dns.Load()
	if idx == nil {
		return "", false
	}
	nets := append([]string(nil), idx.nets[containerID]...)
	sort.Strings(nets) // deterministic when an address is on two networks
	for _, nid := range nets {
		for _, e := range idx.members[nid] {
			if e.name != "" && ((e.ip.IsValid() && e.ip.Addr() == ip) || (e.ip6.IsValid() && e.ip6.Addr() == ip)) {
				return e.name + "." + idx.netName[nid], true
			}
		}
	}
	return "", false
}

func sortAddrs(a []netip.Addr) {
	sort.Slice(a, func(i, j int) bool { return a[i].Less(a[j]) })
}
