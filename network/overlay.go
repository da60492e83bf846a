package network

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"slices"
	"sort"
	"strings"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Swarm overlay networks on this node.
//
// Each is a bridge like a user network (gateway .1, masquerade for egress)
// with a VXLAN port ("bx-<id12>") whose flood list names every other node
// of the network: broadcasts (ARP) reach all of them and the kernel learns
// where each task's MAC lives. Every node puts the same gateway address on
// its own bridge, so a bridge-family table keeps ARP for the gateway from
// crossing the VXLAN port: each node answers for it locally and its tasks
// leave through their own node. Service VIPs are DNATed in each task's own
// namespace (table ip berth-vip), as IPVS does it there in Docker.

const (
	overlayMTU       = 1450
	vxlanPrefix      = "bx-"
	vipTable         = "berth-vip"
	defaultVXLANPort = 4789
)

// OverlayNetwork is a cluster network as this node needs it.
type OverlayNetwork struct {
	ID, Name             string
	VNI                  uint32
	VXLANPort            int
	Subnet, Gateway      string
	Labels               map[string]string
	Internal, Attachable bool
}

// ServiceRecord is one service on an overlay network: its name and aliases
// resolve to the VIP (or, without one, to the tasks), tasks.<name> to the
// tasks' addresses.
type ServiceRecord struct {
	ID      string
	Name    string
	Aliases []string
	VIP     netip.Addr
	Tasks   []netip.Addr
	// Ports: the service's routing-mesh ports (ingress network only).
	Ports []IngressPort
}

// overlayState is a node's in-memory state of an overlay network.
type overlayState struct {
	local    netip.Addr
	peers    map[netip.Addr]bool
	services []ServiceRecord
	// lbAddr: this node's address on the ingress overlay; meshSvcs: the
	// services given remote backends through it.
	lbAddr   netip.Prefix
	meshSvcs map[string]bool
}

// EnsureOverlay makes the overlay network present on this node; an
// existing one is left as it is.
func (m *Manager) EnsureOverlay(ctx context.Context, o OverlayNetwork) error {
	m.mu.Lock()
	n := m.nets[o.ID]
	if n != nil && n.removing {
		n.removing = false
	}
	m.mu.Unlock()
	if n != nil {
		if !n.rec.Overlay {
			return errdefs.Conflict("network %s is not an overlay network", o.ID)
		}
		return nil
	}
	port := o.VXLANPort
	if port == 0 {
		port = defaultVXLANPort
	}
	_, err := m.CreateNetwork(ctx, CreateOptions{ID: o.ID, Name: o.Name, Driver: "overlay", VNI: o.VNI, VXLANPort: port,
		IPAM: []IPAMConfig{{Subnet: o.Subnet, Gateway: o.Gateway}}, Labels: o.Labels, Internal: o.Internal, Attachable: o.Attachable})
	if err != nil && errdefs.IsConflict(err) {
		m.mu.Lock()
		_, ok := m.nets[o.ID]
		m.mu.Unlock()
		if ok { // made by a concurrent call
			return nil
		}
	}
	return err
}

// ReleaseOverlay removes the overlay network from this node when no
// container uses it any more.
func (m *Manager) ReleaseOverlay(ctx context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.nets[id]
	if n == nil || !n.rec.Overlay {
		return nil
	}
	if m.hasEndpoints(n) {
		n.removing = true
		return nil
	}
	return m.removeLocked(ctx, n)
}

// ReleaseIdleOverlays removes every overlay network without containers
// (the node left the swarm).
func (m *Manager) ReleaseIdleOverlays(ctx context.Context) error {
	m.mu.Lock()
	var ids []string
	for id, n := range m.nets {
		if n.rec.Overlay {
			ids = append(ids, id)
		}
	}
	m.mu.Unlock()
	var errs []error
	for _, id := range ids {
		errs = append(errs, m.ReleaseOverlay(ctx, id))
	}
	return errors.Join(errs...)
}

// OverlayIDs lists the overlay networks present on this node.
func (m *Manager) OverlayIDs() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ids []string
	for id, n := range m.nets {
		if n.rec.Overlay {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// SetOverlayPeers makes the network's VXLAN port flood to peers (the other
// nodes' data-path addresses) from local. Unknown networks are ignored:
// they are not on this node.
func (m *Manager) SetOverlayPeers(ctx context.Context, id string, local netip.Addr, peers []netip.Addr) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.nets[id]
	if n == nil || !n.rec.Overlay || n.rec.VNI == 0 {
		return nil
	}
	want := map[netip.Addr]bool{}
	for _, p := range peers {
		if p.IsValid() && p != local && !p.IsLoopback() {
			want[p] = true
		}
	}
	st := m.overlay(n)
	if len(want) == 0 && len(st.peers) == 0 {
		return nil
	}
	if st.local != local && len(st.peers) > 0 {
		// A new source address needs a new device.
		if err := delLink(vxlanName(n.id)); err != nil {
			return err
		}
		st.peers = map[netip.Addr]bool{}
	}
	link, err := m.ensureVXLAN(ctx, n, local)
	if err != nil {
		return err
	}
	st.local = local
	for p := range want {
		if !st.peers[p] {
			if err := netlink.NeighAppend(floodEntry(link, p)); err != nil && !errors.Is(err, unix.EEXIST) {
				return fmt.Errorf("overlay %s: flood to %s: %w", n.name, p, err)
			}
			st.peers[p] = true
		}
	}
	for p := range st.peers {
		if !want[p] {
			_ = netlink.NeighDel(floodEntry(link, p))
			delete(st.peers, p)
		}
	}
	return nil
}

func (m *Manager) overlay(n *netw) *overlayState {
	if n.ov == nil {
		n.ov = &overlayState{peers: map[netip.Addr]bool{}}
	}
	return n.ov
}

func vxlanName(id string) string { return vxlanPrefix + id[:min(12, len(id))] }

func floodEntry(link netlink.Link, peer netip.Addr) *netlink.Neigh {
	return &netlink.Neigh{LinkIndex: link.Attrs().Index, Family: unix.AF_BRIDGE, Flags: netlink.NTF_SELF,
		State: netlink.NUD_PERMANENT | netlink.NUD_NOARP, HardwareAddr: net.HardwareAddr{0, 0, 0, 0, 0, 0}, IP: net.IP(peer.AsSlice())}
}

// ensureVXLAN creates the VXLAN port of n on its bridge; m.mu held.
func (m *Manager) ensureVXLAN(ctx context.Context, n *netw, local netip.Addr) (netlink.Link, error) {
	name := vxlanName(n.id)
	if link, err := netlink.LinkByName(name); err == nil {
		return link, nil
	}
	br, err := netlink.LinkByName(n.iface)
	if err != nil {
		return nil, fmt.Errorf("overlay %s: bridge %s: %w", n.name, n.iface, err)
	}
	port := n.rec.VXLANPort
	if port == 0 {
		port = defaultVXLANPort
	}
	vx := &netlink.Vxlan{LinkAttrs: netlink.LinkAttrs{Name: name, MTU: n.mtu, MasterIndex: br.Attrs().Index},
		VxlanId: int(n.rec.VNI), Port: port, Learning: true}
	if local.IsValid() && !local.IsUnspecified() {
		vx.SrcAddr = net.IP(local.AsSlice())
	}
	if err := netlink.LinkAdd(vx); err != nil {
		return nil, fmt.Errorf("overlay %s: create VXLAN %d device: %w", n.name, n.rec.VNI, err)
	}
	link, err := netlink.LinkByName(name)
	if err == nil {
		err = netlink.LinkSetUp(link)
	}
	if err == nil && !m.cfg.DisableIPTables {
		err = m.syncOverlayARP(ctx)
	}
	if err != nil {
		_ = delLink(name)
		return nil, fmt.Errorf("overlay %s: %w", n.name, err)
	}
	return link, nil
}

func delLink(name string) error {
	link, err := netlink.LinkByName(name)
	if err != nil {
		return nil
	}
	return netlink.LinkDel(link)
}

// overlayARPTable is the bridge-family table keeping the shared gateway's
// ARP on each node.
func (m *Manager) overlayARPTable() string { return m.cfg.NftTable + "-overlay" }

// syncOverlayARP renders the ARP filter for every overlay with a VXLAN
// port; m.mu held.
func (m *Manager) syncOverlayARP(ctx context.Context) error {
	var fw, in, out strings.Builder
	any := false
	for _, n := range m.nets {
		if !n.rec.Overlay || n.ov == nil || !n.gateway.IsValid() {
			continue
		}
		if _, err := netlink.LinkByName(vxlanName(n.id)); err != nil {
			continue
		}
		any = true
		vx, gw := vxlanName(n.id), n.gateway
		fmt.Fprintf(&fw, "\t\toifname %q arp daddr ip %s drop\n\t\tiifname %q arp daddr ip %s drop\n\t\tiifname %q arp saddr ip %s drop\n", vx, gw, vx, gw, vx, gw)
		fmt.Fprintf(&in, "\t\tiifname %q arp saddr ip %s drop\n\t\tiifname %q arp daddr ip %s drop\n", vx, gw, vx, gw)
		fmt.Fprintf(&out, "\t\toifname %q arp saddr ip %s drop\n", vx, gw)
	}
	t := m.overlayARPTable()
	script := fmt.Sprintf("table bridge %s {}\ndelete table bridge %s\n", t, t)
	if any {
		script += fmt.Sprintf("table bridge %s {\n\tchain forward {\n\t\ttype filter hook forward priority 0; policy accept;\n%s\t}\n"+
			"\tchain input {\n\t\ttype filter hook input priority 0; policy accept;\n%s\t}\n"+
			"\tchain output {\n\t\ttype filter hook output priority 0; policy accept;\n%s\t}\n}\n", t, fw.String(), in.String(), out.String())
	}
	return nftApply(ctx, script)
}

// teardownOverlay removes n's VXLAN port and its ARP rules; m.mu held and
// n already out of m.nets.
func (m *Manager) teardownOverlay(ctx context.Context, n *netw) {
	if !n.rec.Overlay {
		return
	}
	_ = delLink(vxlanName(n.id))
	if !m.cfg.DisableIPTables {
		_ = m.syncOverlayARP(ctx)
		if n.ov != nil && n.ov.lbAddr.IsValid() {
			_ = m.syncMesh(ctx)
		}
	}
}

// SetOverlayServices replaces the services of overlay network id: the DNS
// records of its containers and the VIP rules in their namespaces.
func (m *Manager) SetOverlayServices(ctx context.Context, id string, recs []ServiceRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.nets[id]
	if n == nil || !n.rec.Overlay {
		return nil
	}
	recs = normalizeRecords(recs)
	st := m.overlay(n)
	if recordsEqual(st.services, recs) {
		return nil
	}
	st.services = recs
	m.reindex()
	var errs []error
	for k := range m.eps {
		if k.net == id {
			errs = append(errs, m.applyVIPs(ctx, k.ctr))
		}
	}
	return errors.Join(errs...)
}

func normalizeRecords(recs []ServiceRecord) []ServiceRecord {
	out := make([]ServiceRecord, 0, len(recs))
	for _, r := range recs {
		r.Tasks = slices.Clone(r.Tasks)
		sortAddrs(r.Tasks)
		r.Aliases = slices.Clone(r.Aliases)
		sort.Strings(r.Aliases)
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func recordsEqual(a, b []ServiceRecord) bool {
	return slices.EqualFunc(a, b, func(x, y ServiceRecord) bool {
		return x.Name == y.Name && x.VIP == y.VIP && slices.Equal(x.Aliases, y.Aliases) && slices.Equal(x.Tasks, y.Tasks)
	})
}

// overlayRecords answers the DNS of a container on overlay n: the service
// names, aliases and tasks.<name>; m.mu held (called by reindex).
func overlayRecords(n *netw) map[string][]netip.Addr {
	if n.ov == nil || len(n.ov.services) == 0 {
		return nil
	}
	out := map[string][]netip.Addr{}
	for _, s := range n.ov.services {
		addrs := s.Tasks
		if s.VIP.IsValid() {
			addrs = []netip.Addr{s.VIP}
		}
		for _, name := range append([]string{s.Name}, s.Aliases...) {
			name = strings.ToLower(name)
			out[name] = append(out[name], addrs...)
			out["tasks."+name] = append(out["tasks."+name], s.Tasks...)
		}
	}
	return out
}

// applyVIPs renders the VIP rules of every overlay network containerID is
// on into its namespace; m.mu held.
func (m *Manager) applyVIPs(ctx context.Context, containerID string) error {
	var rules strings.Builder
	nsPath := ""
	for k, ep := range m.eps {
		n := m.nets[k.net]
		if k.ctr != containerID || n == nil || n.ov == nil {
			continue
		}
		nsPath = ep.NetNSPath
		for _, s := range n.ov.services {
			if !s.VIP.IsValid() || len(s.Tasks) == 0 {
				continue
			}
			if len(s.Tasks) == 1 {
				fmt.Fprintf(&rules, "add rule ip %s output ip daddr %s dnat to %s\n", vipTable, s.VIP, s.Tasks[0])
				continue
			}
			elems := make([]string, len(s.Tasks))
			for i, t := range s.Tasks {
				elems[i] = fmt.Sprintf("%d : %s", i, t)
			}
			fmt.Fprintf(&rules, "add rule ip %s output ip daddr %s dnat to numgen inc mod %d map { %s }\n",
				vipTable, s.VIP, len(s.Tasks), strings.Join(elems, ", "))
		}
	}
	if nsPath == "" {
		return nil
	}
	// The empty input chain registers NAT at local-in, where replies from
	// a task get the VIP back as their source.
	script := fmt.Sprintf("table ip %s {\n\tchain output {\n\t\ttype nat hook output priority -100; policy accept;\n\t}\n"+
		"\tchain input {\n\t\ttype nat hook input priority 100; policy accept;\n\t}\n}\nflush chain ip %s output\n%s",
		vipTable, vipTable, rules.String())
	cmd := exec.CommandContext(ctx, "nsenter", "--net="+nsPath, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("service VIPs in %s: %v: %s", containerID, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// SetIngressAddr gives this node its own address on the ingress overlay
// id (the cluster's load-balancer attachment of the node): connections the
// ingress load balancer sends to tasks on other nodes leave from it, so
// the replies come back here.
func (m *Manager) SetIngressAddr(ctx context.Context, id string, addr netip.Prefix) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.nets[id]
	if n == nil || !n.rec.Overlay {
		return errdefs.NotFound("network %s not found", id)
	}
	st := m.overlay(n)
	if st.lbAddr == addr {
		return nil
	}
	link, err := netlink.LinkByName(n.iface)
	if err != nil {
		return fmt.Errorf("ingress: bridge %s: %w", n.iface, err)
	}
	if st.lbAddr.IsValid() {
		_ = netlink.AddrDel(link, &netlink.Addr{IPNet: prefixToIPNet(st.lbAddr)})
	}
	if err := netlink.AddrReplace(link, &netlink.Addr{IPNet: prefixToIPNet(addr), Flags: unix.IFA_F_NODAD}); err != nil {
		return fmt.Errorf("ingress: address %s on %s: %w", addr, n.iface, err)
	}
	st.lbAddr = addr
	if m.cfg.DisableIPTables {
		return nil
	}
	return m.syncMesh(ctx)
}

// meshTable holds the routing mesh's source NAT.
func (m *Manager) meshTable() string { return m.cfg.NftTable + "-mesh" }

// syncMesh renders the source NAT of every ingress bridge: what the load
// balancer forwards to another node's task leaves with the node's own
// ingress address; m.mu held. Priority 99 runs it before the main
// table's masquerade (a connection is NATed once).
func (m *Manager) syncMesh(ctx context.Context) error {
	var rules strings.Builder
	for _, n := range m.nets {
		if n.ov != nil && n.ov.lbAddr.IsValid() {
			fmt.Fprintf(&rules, "\t\toifname %q ct status dnat snat ip to %s\n", n.iface, n.ov.lbAddr.Addr())
		}
	}
	t := m.meshTable()
	script := fmt.Sprintf("table ip %s {}\ndelete table ip %s\n", t, t)
	if rules.Len() > 0 {
		script += fmt.Sprintf("table ip %s {\n\tchain postrouting {\n\t\ttype nat hook postrouting priority 99; policy accept;\n%s\t}\n}\n", t, rules.String())
	}
	return nftApply(ctx, script)
}

// SetIngressServices makes the routing mesh of ingress overlay id reach
// the services' tasks on other nodes: each record's tasks that are not
// this node's own endpoints become remote backends of its ports.
func (m *Manager) SetIngressServices(ctx context.Context, id string, recs []ServiceRecord) error {
	m.mu.Lock()
	n := m.nets[id]
	if n == nil || !n.rec.Overlay {
		m.mu.Unlock()
		return nil
	}
	local := map[netip.Addr]bool{}
	for k, ep := range m.eps {
		if k.net == id && ep.IP.IsValid() {
			local[ep.IP.Addr()] = true
		}
	}
	// The whole set is decided under the lock; SetIngressRemote takes it
	// again for each service.
	st := m.overlay(n)
	prev, next := st.meshSvcs, map[string]bool{}
	remote := map[string][]netip.Addr{}
	var order []ServiceRecord
	for _, r := range recs {
		if r.ID == "" || len(r.Ports) == 0 {
			continue
		}
		next[r.ID] = true
		order = append(order, r)
		for _, t := range r.Tasks {
			if !local[t] {
				remote[r.ID] = append(remote[r.ID], t)
			}
		}
	}
	st.meshSvcs = next
	m.mu.Unlock()
	var errs []error
	for _, r := range order {
		errs = append(errs, m.SetIngressRemote(ctx, r.ID, r.Ports, remote[r.ID]))
	}
	for svc := range prev {
		if !next[svc] {
			errs = append(errs, m.SetIngressRemote(ctx, svc, nil, nil))
		}
	}
	return errors.Join(errs...)
}
