package netalloc

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"

	"github.com/moby/swarmkit/v2/api"
	"github.com/moby/swarmkit/v2/manager/allocator/networkallocator"
)

// allocator implements networkallocator.NetworkAllocator. Owners of
// addresses are "gw", "svc/<id>", "task/<id>" and "node/<id>".
type allocator struct {
	mu           sync.Mutex
	defaultPools []netip.Prefix
	subnetSize   int

	networks map[string]*network
	vnis     map[uint32]string                    // VNI -> network ID
	services map[string]map[string]netip.Prefix   // service -> network -> VIP
	tasks    map[string]map[string][]netip.Prefix // task -> network -> addresses
	nodes    map[string]map[string][]netip.Prefix // node -> network -> LB addresses

	// released is the VIPs of the service deallocated last: SwarmKit
	// deallocates a service without an endpoint spec right before
	// allocating it again, which should not move its VIPs.
	released struct {
		svc  string
		vips map[string]netip.Prefix
	}
}

var _ networkallocator.NetworkAllocator = (*allocator)(nil)

// txn undoes the reservations of a failed multi-address allocation.
type txn []struct {
	nw  *network
	pfx netip.Prefix
	who string
}

func (tx *txn) reserve(nw *network, a netip.Addr, who string) (netip.Prefix, error) {
	p, off, ok := nw.poolOf(a)
	if !ok {
		return netip.Prefix{}, fmt.Errorf("address %s is not in a subnet of network %s", a, nw.id)
	}
	fresh, err := p.reserve(off, who)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("network %s: %w", nw.id, err)
	}
	if fresh {
		*tx = append(*tx, struct {
			nw  *network
			pfx netip.Prefix
			who string
		}{nw, p.cidr(off), who})
	}
	return p.cidr(off), nil
}

func (tx *txn) take(nw *network, who string) (netip.Prefix, error) {
	for _, p := range nw.pools {
		if pfx, ok := p.take(who); ok {
			*tx = append(*tx, struct {
				nw  *network
				pfx netip.Prefix
				who string
			}{nw, pfx, who})
			return pfx, nil
		}
	}
	return netip.Prefix{}, fmt.Errorf("could not find an available IP on network %s", nw.id)
}

func (tx *txn) undo() {
	for _, r := range *tx {
		r.nw.release(r.pfx, r.who)
	}
	*tx = nil
}

// wantedVIPs is the networks, in order, on which s gets a VIP: the
// allocated networks of its spec (none in dnsrr mode), and the ingress
// network when s publishes ports in ingress mode.
func (a *allocator) wantedVIPs(s *api.Service) []string {
	var out []string
	add := func(id string) {
		if _, ok := a.networks[id]; ok && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	if s.Spec.Endpoint == nil || s.Spec.Endpoint.Mode == api.ResolutionModeVirtualIP {
		nets := s.Spec.Task.Networks
		if len(nets) == 0 {
			nets = s.Spec.Networks
		}
		for _, c := range nets {
			if c != nil {
				add(c.Target)
			}
		}
	}
	if networkallocator.IsIngressNetworkNeeded(s) {
		for id, nw := range a.networks {
			if nw.ingress {
				add(id)
			}
		}
	}
	return out
}

// IsServiceAllocated reports whether s's VIPs are the ones AllocateService
// would give it. A service this allocator has not seen is not allocated
// (with or without networkallocator.OnInit).
func (a *allocator) IsServiceAllocated(s *api.Service, _ ...func(*networkallocator.ServiceAllocationOpts)) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	held, ok := a.services[s.ID]
	if !ok || s.Endpoint == nil {
		return false
	}
	wanted := a.wantedVIPs(s)
	if len(held) != len(wanted) || len(s.Endpoint.VirtualIPs) != len(wanted) {
		return false
	}
	for _, v := range s.Endpoint.VirtualIPs {
		if pfx, ok := held[v.NetworkID]; !ok || v.Addr != pfx.String() {
			return false
		}
	}
	for _, id := range wanted {
		if _, ok := held[id]; !ok {
			return false
		}
	}
	return true
}

// AllocateService gives s a VIP on each network wantedVIPs names, keeping
// the addresses s already has (restore), and frees the others.
func (a *allocator) AllocateService(s *api.Service) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s.Endpoint == nil {
		s.Endpoint = &api.Endpoint{}
	}
	s.Endpoint.Spec = s.Spec.Endpoint.Copy()
	who := "svc/" + s.ID
	wanted := a.wantedVIPs(s)
	held := a.services[s.ID]
	var tx txn
	got := map[string]netip.Prefix{}
	// Addresses the service has first, so that new ones cannot take them.
	for _, v := range s.Endpoint.VirtualIPs {
		ip, err := parseAddr(v.Addr)
		if _, dup := got[v.NetworkID]; err != nil || dup || !slices.Contains(wanted, v.NetworkID) {
			continue
		}
		pfx, err := tx.reserve(a.networks[v.NetworkID], ip, who)
		if err != nil {
			tx.undo()
			return fmt.Errorf("service %s: %w", s.ID, err)
		}
		got[v.NetworkID] = pfx
	}
	for _, id := range wanted {
		if _, ok := got[id]; ok {
			continue
		}
		if pfx, ok := held[id]; ok {
			got[id] = pfx
			continue
		}
		if pfx, ok := a.released.vips[id]; ok && a.released.svc == s.ID {
			if p, err := tx.reserve(a.networks[id], pfx.Addr(), who); err == nil {
				got[id] = p
				continue
			}
		}
		pfx, err := tx.take(a.networks[id], who)
		if err != nil {
			tx.undo()
			return fmt.Errorf("service %s: %w", s.ID, err)
		}
		got[id] = pfx
	}
	for id, pfx := range held {
		if got[id] != pfx {
			a.networks[id].release(pfx, who)
		}
	}
	if a.released.svc == s.ID {
		a.released.svc, a.released.vips = "", nil
	}
	a.services[s.ID] = got
	vips := make([]*api.Endpoint_VirtualIP, 0, len(wanted))
	for _, id := range wanted {
		vips = append(vips, &api.Endpoint_VirtualIP{NetworkID: id, Addr: got[id].String()})
	}
	s.Endpoint.VirtualIPs = vips
	return nil
}

// DeallocateService frees s's VIPs and forgets s; its ports stay.
func (a *allocator) DeallocateService(s *api.Service) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	held := a.services[s.ID]
	for id, pfx := range held {
		a.networks[id].release(pfx, "svc/"+s.ID)
	}
	delete(a.services, s.ID)
	a.released.svc, a.released.vips = s.ID, held
	if s.Endpoint != nil {
		s.Endpoint.VirtualIPs = nil
	}
	return nil
}

// IsTaskAllocated reports whether t needs no allocation. A task before
// PENDING is allocated only once AllocateTask has seen it: SwarmKit copies
// the service's endpoint (VIPs, published ports) into the task on that
// path only, and the orchestrator creates tasks with an endpoint already
// (spec only), so t.Endpoint cannot tell. From PENDING on, a task with
// networks is allocated when known here, which is also what makes
// SwarmKit call DeallocateTask for it when it ends.
func (a *allocator) IsTaskAllocated(t *api.Task) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	held, known := a.tasks[t.ID]
	if t.Status.State >= api.TaskStatePending {
		return known || len(t.Networks) == 0
	}
	if !known {
		return false
	}
	for _, na := range t.Networks {
		if na == nil || na.Network == nil {
			continue
		}
		if _, ok := a.networks[na.Network.ID]; !ok || len(na.Addresses) == 0 || len(held[na.Network.ID]) == 0 {
			return false
		}
	}
	return true
}

// AllocateTask gives each of t's attachments on an allocated network an
// address, keeping the ones it has (restore, or static ones).
func (a *allocator) AllocateTask(t *api.Task) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	who := "task/" + t.ID
	held := a.tasks[t.ID]
	var tx txn
	got := map[string][]netip.Prefix{}
	addrs := make([][]string, len(t.Networks))
	var todo []int
	for i, na := range t.Networks {
		if na == nil || na.Network == nil || a.networks[na.Network.ID] == nil {
			continue
		}
		if len(na.Addresses) == 0 {
			todo = append(todo, i)
			continue
		}
		nw := a.networks[na.Network.ID]
		for _, s := range na.Addresses {
			ip, err := parseAddr(s)
			if err != nil {
				tx.undo()
				return fmt.Errorf("task %s: invalid address %q", t.ID, s)
			}
			if ip.Is6() { // recorded, not allocated
				addrs[i] = append(addrs[i], s)
				continue
			}
			pfx, err := tx.reserve(nw, ip, who)
			if err != nil {
				tx.undo()
				return fmt.Errorf("task %s: %w", t.ID, err)
			}
			got[nw.id] = append(got[nw.id], pfx)
			addrs[i] = append(addrs[i], pfx.String())
		}
	}
	for _, i := range todo {
		nw := a.networks[t.Networks[i].Network.ID]
		if prev := held[nw.id]; len(prev) > 0 && len(got[nw.id]) == 0 {
			got[nw.id] = slices.Clone(prev)
		} else {
			pfx, err := tx.take(nw, who)
			if err != nil {
				tx.undo()
				return fmt.Errorf("task %s: %w", t.ID, err)
			}
			got[nw.id] = append(got[nw.id], pfx)
		}
		for _, p := range got[nw.id] {
			addrs[i] = append(addrs[i], p.String())
		}
	}
	for id, prev := range held {
		for _, p := range prev {
			if !slices.Contains(got[id], p) {
				a.networks[id].release(p, who)
			}
		}
	}
	a.tasks[t.ID] = got
	for i, na := range t.Networks {
		if addrs[i] != nil {
			na.Addresses = addrs[i]
		}
	}
	return nil
}

// DeallocateTask frees t's addresses and forgets t.
func (a *allocator) DeallocateTask(t *api.Task) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for id, prev := range a.tasks[t.ID] {
		for _, p := range prev {
			a.networks[id].release(p, "task/"+t.ID)
		}
	}
	delete(a.tasks, t.ID)
	return nil
}

// AllocateAttachment gives node its load-balancer address on
// na.Network, keeping the one na has (restore).
func (a *allocator) AllocateAttachment(node *api.Node, na *api.NetworkAttachment) error {
	if node == nil || na == nil || na.Network == nil {
		return fmt.Errorf("network attachment without node or network")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	nw, ok := a.networks[na.Network.ID]
	if !ok {
		return fmt.Errorf("network %s is not allocated", na.Network.ID)
	}
	who := "node/" + node.ID
	held := a.nodes[node.ID][nw.id]
	var tx txn
	var got []netip.Prefix
	var addrs []string
	for _, s := range na.Addresses {
		ip, err := parseAddr(s)
		if err != nil {
			tx.undo()
			return fmt.Errorf("node %s: invalid address %q", node.ID, s)
		}
		if ip.Is6() {
			addrs = append(addrs, s)
			continue
		}
		pfx, err := tx.reserve(nw, ip, who)
		if err != nil {
			tx.undo()
			return fmt.Errorf("node %s: %w", node.ID, err)
		}
		got, addrs = append(got, pfx), append(addrs, pfx.String())
	}
	if len(na.Addresses) == 0 {
		if len(held) > 0 {
			got = slices.Clone(held)
		} else {
			pfx, err := tx.take(nw, who)
			if err != nil {
				return fmt.Errorf("node %s: %w", node.ID, err)
			}
			got = []netip.Prefix{pfx}
		}
		for _, p := range got {
			addrs = append(addrs, p.String())
		}
	}
	for _, p := range held {
		if !slices.Contains(got, p) {
			nw.release(p, who)
		}
	}
	if a.nodes[node.ID] == nil {
		a.nodes[node.ID] = map[string][]netip.Prefix{}
	}
	a.nodes[node.ID][nw.id] = got
	na.Addresses = addrs
	return nil
}

// IsAttachmentAllocated reports whether na has the address held here for
// node on its network.
func (a *allocator) IsAttachmentAllocated(node *api.Node, na *api.NetworkAttachment) bool {
	if node == nil || na == nil || na.Network == nil || len(na.Addresses) == 0 {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	held := a.nodes[node.ID][na.Network.ID]
	ip, err := parseAddr(na.Addresses[0])
	return err == nil && slices.ContainsFunc(held, func(p netip.Prefix) bool { return p.Addr() == ip })
}

// DeallocateAttachment frees node's address on na.Network.
func (a *allocator) DeallocateAttachment(node *api.Node, na *api.NetworkAttachment) error {
	if node == nil || na == nil || na.Network == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if nw, ok := a.networks[na.Network.ID]; ok {
		for _, p := range a.nodes[node.ID][nw.id] {
			nw.release(p, "node/"+node.ID)
		}
	}
	delete(a.nodes[node.ID], na.Network.ID)
	if len(a.nodes[node.ID]) == 0 {
		delete(a.nodes, node.ID)
	}
	return nil
}
