package swarm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/berth-project/berth/swarm/executor"
	"github.com/moby/swarmkit/v2/api"
	"github.com/moby/swarmkit/v2/manager/allocator/networkallocator"
)

// The overlay catalog: which nodes carry each overlay network and which
// services (VIP, aliases, task addresses) are on it. Docker spreads this
// with its gossip (networkdb); here the managers' store is the truth:
// every manager serves the catalog over HTTP on the node's address, port
// NetDBPort (Docker's gossip port), workers read it from a manager, and
// every node hands it to its daemon (OverlaySink), which programs VXLAN
// flooding, DNS and VIPs. It carries addresses only, nothing secret.

// NetDBPort is where managers serve the catalog.
const NetDBPort = 7946

// Catalog is the cluster's overlay state for the data plane.
type Catalog struct {
	Networks []CatalogNetwork
}

// CatalogNetwork is one overlay network.
type CatalogNetwork struct {
	ID       string
	Ingress  bool         // the routing mesh's network
	Peers    []netip.Addr // data-path addresses of the nodes with tasks on it
	Services []ServiceRecord
}

// ServiceRecord is one service on a network (network.ServiceRecord has the
// same shape).
type ServiceRecord struct {
	ID      string
	Name    string
	Aliases []string
	VIP     netip.Addr
	Tasks   []netip.Addr
	Ports   []MeshPort `json:",omitempty"` // ingress network: the published ports
}

// MeshPort is one routing-mesh port (network.IngressPort's shape).
type MeshPort struct {
	Proto     string
	Published uint16
	Target    uint16
}

// aliasesOn is the service's aliases on network netID.
func aliasesOn(s *api.Service, netID string) []string {
	var out []string
	for _, nc := range s.Spec.Task.Networks {
		if nc.Target == netID {
			out = append(out, nc.Aliases...)
		}
	}
	return out
}

func meshPorts(s *api.Service) []MeshPort {
	if s.Endpoint == nil {
		return nil
	}
	var out []MeshPort
	for _, p := range s.Endpoint.Ports {
		if p.PublishMode == api.PublishModeIngress && p.PublishedPort != 0 {
			out = append(out, MeshPort{Proto: strings.ToLower(p.Protocol.String()), Published: uint16(p.PublishedPort), Target: uint16(p.TargetPort)})
		}
	}
	return out
}

// OverlaySync is what a node's daemon is told.
type OverlaySync struct {
	Local    netip.Addr
	Networks []CatalogNetwork
}

// OverlaySink is the daemon side (swarm/engine).
type OverlaySink func(ctx context.Context, s OverlaySync) error

// buildCatalog reads the store through the control API.
func buildCatalog(ctx context.Context, cc api.ControlClient) (*Catalog, error) {
	nodes, err := cc.ListNodes(ctx, &api.ListNodesRequest{})
	if err != nil {
		return nil, err
	}
	addr := map[string]netip.Addr{}
	for _, n := range nodes.Nodes {
		if n.Status.State == api.NodeStatus_DOWN {
			continue
		}
		if a, err := netip.ParseAddr(n.Status.Addr); err == nil {
			addr[n.ID] = a
		}
	}
	svcs, err := cc.ListServices(ctx, &api.ListServicesRequest{})
	if err != nil {
		return nil, err
	}
	tasks, err := cc.ListTasks(ctx, &api.ListTasksRequest{})
	if err != nil {
		return nil, err
	}
	netList, err := cc.ListNetworks(ctx, &api.ListNetworksRequest{})
	if err != nil {
		return nil, err
	}
	ingress := map[string]bool{}
	for _, n := range netList.Networks {
		if networkallocator.IsIngressNetwork(n) {
			ingress[n.ID] = true
		}
	}
	type netAcc struct {
		peers map[netip.Addr]bool
		svcs  map[string]*ServiceRecord
	}
	nets := map[string]*netAcc{}
	acc := func(id string) *netAcc {
		if nets[id] == nil {
			nets[id] = &netAcc{peers: map[netip.Addr]bool{}, svcs: map[string]*ServiceRecord{}}
		}
		return nets[id]
	}
	byID := map[string]*api.Service{}
	for _, s := range svcs.Services {
		byID[s.ID] = s
		if s.Endpoint == nil {
			continue
		}
		for _, vip := range s.Endpoint.VirtualIPs {
			na := acc(vip.NetworkID)
			r := &ServiceRecord{ID: s.ID, Name: s.Spec.Annotations.Name, VIP: vipAddr(vip.Addr), Aliases: aliasesOn(s, vip.NetworkID)}
			if ingress[vip.NetworkID] {
				r.VIP, r.Ports = netip.Addr{}, meshPorts(s)
			}
			na.svcs[s.ID] = r
		}
	}
	for _, t := range tasks.Tasks {
		for _, att := range t.Networks {
			if att.Network == nil {
				continue
			}
			na := acc(att.Network.ID)
			if t.DesiredState <= api.TaskStateRunning && t.Status.State <= api.TaskStateRunning && addr[t.NodeID].IsValid() {
				na.peers[addr[t.NodeID]] = true
			}
			// A down node's tasks are unreachable until rescheduled.
			if t.Status.State != api.TaskStateRunning || t.DesiredState != api.TaskStateRunning || !addr[t.NodeID].IsValid() {
				continue
			}
			ip := executor.AttachmentAddr(att)
			if !ip.IsValid() {
				continue
			}
			r := na.svcs[t.ServiceID]
			if r == nil { // dnsrr: no VIP
				s := byID[t.ServiceID]
				if s == nil {
					continue
				}
				r = &ServiceRecord{ID: s.ID, Name: s.Spec.Annotations.Name, Aliases: aliasesOn(s, att.Network.ID)}
				if ingress[att.Network.ID] {
					r.Ports = meshPorts(s)
				}
				na.svcs[t.ServiceID] = r
			}
			r.Tasks = append(r.Tasks, ip)
		}
	}
	cat := &Catalog{}
	for id, na := range nets {
		cn := CatalogNetwork{ID: id, Ingress: ingress[id]}
		if cn.Ingress { // every node balances to every task
			for _, a := range addr {
				na.peers[a] = true
			}
		}
		for p := range na.peers {
			cn.Peers = append(cn.Peers, p)
		}
		sort.Slice(cn.Peers, func(i, j int) bool { return cn.Peers[i].Less(cn.Peers[j]) })
		for _, r := range na.svcs {
			sort.Slice(r.Tasks, func(i, j int) bool { return r.Tasks[i].Less(r.Tasks[j]) })
			cn.Services = append(cn.Services, *r)
		}
		sort.Slice(cn.Services, func(i, j int) bool { return cn.Services[i].Name < cn.Services[j].Name })
		cat.Networks = append(cat.Networks, cn)
	}
	sort.Slice(cat.Networks, func(i, j int) bool { return cat.Networks[i].ID < cat.Networks[j].ID })
	return cat, nil
}

// serveNetDB serves the catalog on addr:NetDBPort while the node is a
// manager; a taken port is logged, not fatal (a single node needs no
// catalog from the network).
func (c *Cluster) serveNetDB(ctx context.Context, host string) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, fmt.Sprint(NetDBPort)))
	if err != nil {
		c.cfg.Logger.Warn("swarm: overlay catalog not served", "err", err)
		return
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/netdb" {
			http.NotFound(w, r)
			return
		}
		cc, err := c.manager()
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		cat, err := buildCatalog(r.Context(), cc)
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		_ = json.NewEncoder(w).Encode(cat)
	})}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	_ = srv.Serve(l)
}

// catalog is the node's current view: its own store when it is a manager,
// else a manager's over HTTP.
func (c *Cluster) catalog(ctx context.Context, hc *http.Client) (*Catalog, error) {
	if cc, err := c.manager(); err == nil {
		return buildCatalog(ctx, cc)
	}
	c.mu.RLock()
	n := c.node
	c.mu.RUnlock()
	if n == nil {
		return nil, errors.New("not in a swarm")
	}
	var lastErr error = errors.New("no manager known")
	for _, p := range n.Remotes() {
		host, _, err := net.SplitHostPort(p.Addr)
		if err != nil {
			continue
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, fmt.Sprint(NetDBPort))+"/netdb", nil)
		resp, err := hc.Do(req)
		if err != nil {
			lastErr = err
			continue
		}
		var cat Catalog
		err = json.NewDecoder(resp.Body).Decode(&cat)
		resp.Body.Close()
		if err == nil && resp.StatusCode == http.StatusOK {
			return &cat, nil
		}
		lastErr = fmt.Errorf("catalog from %s: %s", host, resp.Status)
	}
	return nil, lastErr
}

// syncOverlay hands the catalog to the daemon every second while it or
// the node's networks change.
func (c *Cluster) syncOverlay(ctx context.Context, local netip.Addr) {
	if c.cfg.Overlay == nil {
		return
	}
	// Node to node, as Docker's gossip: never through an HTTP proxy the
	// daemon's environment names (that is for registries).
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil}}
	var last []byte
	var lastGen uint64
	var lastErr string
	// push hands the catalog over when it or the node's networks changed.
	push := func() {
		cat, err := c.catalog(ctx, hc)
		if err != nil {
			// Once per kind of failure at warn (a worker without the
			// catalog has no overlay names), then at debug.
			if msg := err.Error(); msg != lastErr {
				c.cfg.Logger.Warn("swarm: overlay catalog", "err", err)
				lastErr = msg
			} else {
				c.cfg.Logger.Debug("swarm: overlay catalog", "err", err)
			}
			return
		}
		lastErr = ""
		b, _ := json.Marshal(cat)
		gen := c.exec.OverlayGeneration()
		if bytes.Equal(b, last) && gen == lastGen {
			return
		}
		if err := c.cfg.Overlay(ctx, OverlaySync{Local: local, Networks: cat.Networks}); err != nil {
			c.cfg.Logger.Debug("swarm: overlay sync", "err", err)
			return
		}
		last, lastGen = b, gen
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		push()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-c.exec.TasksChanged():
			// A task of this node started or stopped: the managers
			// learn it within a few hundred milliseconds; look sooner
			// than the next tick, twice.
			for _, d := range []time.Duration{150 * time.Millisecond, 350 * time.Millisecond} {
				select {
				case <-ctx.Done():
					return
				case <-time.After(d):
				}
				push()
			}
		}
	}
}

// dataAddr is the node's VXLAN source: --data-path-addr, else the
// advertised address, else the address the node reaches a manager from.
func dataAddr(st state, n interface{ Remotes() []api.Peer }) netip.Addr {
	for _, s := range []string{st.DataPathAddr, st.AdvertiseAddr} {
		if s == "" {
			continue
		}
		host := s
		if h, _, err := net.SplitHostPort(s); err == nil {
			host = h
		}
		if a, err := netip.ParseAddr(host); err == nil && !a.IsUnspecified() {
			return a
		}
	}
	for _, p := range n.Remotes() {
		conn, err := net.Dial("udp", p.Addr)
		if err != nil {
			continue
		}
		a, ok := netip.AddrFromSlice(conn.LocalAddr().(*net.UDPAddr).IP)
		conn.Close()
		if ok {
			return a.Unmap()
		}
	}
	return netip.Addr{}
}

// runOverlay serves the catalog and keeps the daemon's overlay state in
// step for one node run.
func (c *Cluster) runOverlay(ctx context.Context, st state, n interface{ Remotes() []api.Peer }) {
	if c.cfg.Overlay == nil {
		return
	}
	var local netip.Addr
	for !local.IsValid() {
		if local = dataAddr(st, n); local.IsValid() {
			break
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
	go c.serveNetDB(ctx, local.String())
	c.syncOverlay(ctx, local)
}
