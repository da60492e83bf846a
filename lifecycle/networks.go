package lifecycle

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/berth-project/berth/container"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
	"github.com/berth-project/berth/network"
	eventtypes "github.com/moby/moby/api/types/events"
	networktypes "github.com/moby/moby/api/types/network"
)

// The /networks API: the network manager owns networks; this side adds
// what needs containers (names in inspect, connect/disconnect, prune's
// "unused").

func (s *Service) manager() (*network.Manager, error) {
	if s.net == nil {
		return nil, errdefs.NotImplemented("networking is disabled in this daemon")
	}
	return s.net, nil
}

// NetworkList implements GET /networks.
func (s *Service) NetworkList(ctx context.Context, f filters.Args) ([]networktypes.Summary, error) {
	m, err := s.manager()
	if err != nil {
		return nil, err
	}
	// The router has already checked the filters' keys and values.
	out := []networktypes.Summary{}
	for _, n := range m.Networks() {
		if !matchNetwork(n, f) {
			continue
		}
		out = append(out, networktypes.Summary{Network: apiNetwork(n)})
	}
	out = s.appendSwarmNetworks(ctx, out, f)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func isPredefined(n *network.Network) bool {
	return n.Name == network.DefaultNetworkName || n.Name == modeHost || n.Name == modeNone
}

func matchNetwork(n *network.Network, f filters.Args) bool {
	if f.Contains("driver") && !f.ExactMatch("driver", n.Driver) {
		return false
	}
	if f.Contains("name") && !f.Match("name", n.Name) {
		return false
	}
	if ids := f.Get("id"); len(ids) > 0 {
		hit := false
		for _, id := range ids {
			hit = hit || strings.HasPrefix(n.ID, id)
		}
		if !hit {
			return false
		}
	}
	if f.Contains("scope") && !f.ExactMatch("scope", n.Scope) {
		return false
	}
	if f.Contains("type") {
		typ := "custom"
		if isPredefined(n) {
			typ = "builtin"
		}
		if !f.ExactMatch("type", typ) {
			return false
		}
	}
	if want, present, _ := f.GetBool("dangling"); present && want != (!isPredefined(n) && len(n.Endpoints) == 0) {
		return false
	}
	return f.MatchKVList("label", n.Labels)
}

func apiNetwork(n *network.Network) networktypes.Network {
	out := networktypes.Network{
		Name: n.Name, ID: n.ID, Created: n.Created, Scope: n.Scope, Driver: n.Driver,
		EnableIPv4: n.EnableIPv4, EnableIPv6: n.EnableIPv6, Internal: n.Internal, Attachable: n.Attachable,
		IPAM:    networktypes.IPAM{Driver: "default", Options: map[string]string{}, Config: []networktypes.IPAMConfig{}},
		Options: nonNilMap(n.Options), Labels: nonNilMap(n.Labels),
	}
	for _, c := range n.IPAM {
		var ic networktypes.IPAMConfig
		ic.Subnet, _ = netip.ParsePrefix(c.Subnet)
		ic.IPRange, _ = netip.ParsePrefix(c.IPRange)
		ic.Gateway, _ = netip.ParseAddr(c.Gateway)
		for k, v := range c.AuxAddress {
			if a, err := netip.ParseAddr(v); err == nil {
				if ic.AuxAddress == nil {
					ic.AuxAddress = map[string]netip.Addr{}
				}
				ic.AuxAddress[k] = a
			}
		}
		out.IPAM.Config = append(out.IPAM.Config, ic)
	}
	return out
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// NetworkInspect implements GET /networks/{id}.
func (s *Service) NetworkInspect(ctx context.Context, idOrName string, verbose bool, scope string) (networktypes.Inspect, error) {
	m, err := s.manager()
	if err != nil {
		return networktypes.Inspect{}, err
	}
	n, err := m.GetNetwork(idOrName)
	if err != nil {
		return s.inspectSwarmNetwork(ctx, idOrName, scope, err)
	}
	if scope != "" && scope != n.Scope {
		return networktypes.Inspect{}, errdefs.NotFound("network %s not found", idOrName)
	}
	out := networktypes.Inspect{Network: apiNetwork(n), Containers: map[string]networktypes.EndpointResource{}}
	for id, ep := range n.Endpoints {
		r := networktypes.EndpointResource{Name: ep.Name, EndpointID: ep.EndpointID}
		r.IPv4Address, _ = netip.ParsePrefix(ep.IPv4Address)
		r.IPv6Address, _ = netip.ParsePrefix(ep.IPv6Address)
		if hw, err := parseHW(ep.MacAddress); err == nil {
			r.MacAddress = hw
		}
		out.Containers[id] = r
	}
	return out, nil
}

func parseHW(s string) (networktypes.HardwareAddr, error) {
	hw, err := net.ParseMAC(s)
	if err != nil {
		return nil, err
	}
	return networktypes.HardwareAddr(hw), nil
}

// NetworkCreate implements POST /networks/create.
func (s *Service) NetworkCreate(ctx context.Context, req networktypes.CreateRequest) (networktypes.CreateResponse, error) {
	m, err := s.manager()
	if err != nil {
		return networktypes.CreateResponse{}, err
	}
	if swarmScoped(req) {
		return s.createSwarmNetwork(ctx, req)
	}
	if req.Scope != "" && req.Scope != "local" {
		return networktypes.CreateResponse{}, errdefs.NotImplemented("network scope %q: not implemented (swarm scope comes with swarm mode)", req.Scope)
	}
	if req.ConfigOnly || req.ConfigFrom != nil || req.Ingress {
		return networktypes.CreateResponse{}, errdefs.NotImplemented("config-only, config-from and ingress networks: not implemented")
	}
	o := network.CreateOptions{
		Name: req.Name, Driver: req.Driver, Options: req.Options, Labels: req.Labels,
		Internal: req.Internal, Attachable: req.Attachable,
	}
	if req.EnableIPv6 != nil {
		o.EnableIPv6 = *req.EnableIPv6
	}
	if req.EnableIPv4 != nil && !*req.EnableIPv4 {
		return networktypes.CreateResponse{}, errdefs.NotImplemented("IPv6-only networks (EnableIPv4=false): not implemented")
	}
	if req.IPAM != nil {
		if req.IPAM.Driver != "" && req.IPAM.Driver != "default" {
			return networktypes.CreateResponse{}, errdefs.NotFound("plugin %q not found", req.IPAM.Driver)
		}
		for _, c := range req.IPAM.Config {
			ic := network.IPAMConfig{}
			if c.Subnet.IsValid() {
				ic.Subnet = c.Subnet.String()
			}
			if c.IPRange.IsValid() {
				ic.IPRange = c.IPRange.String()
			}
			if c.Gateway.IsValid() {
				ic.Gateway = c.Gateway.String()
			}
			for k, v := range c.AuxAddress {
				if ic.AuxAddress == nil {
					ic.AuxAddress = map[string]string{}
				}
				ic.AuxAddress[k] = v.String()
			}
			o.IPAM = append(o.IPAM, ic)
		}
	}
	n, err := m.CreateNetwork(ctx, o)
	if err != nil {
		return networktypes.CreateResponse{}, err
	}
	s.logNetworkEvent(n, "create", "")
	return networktypes.CreateResponse{ID: n.ID}, nil
}

// NetworkRemove implements DELETE /networks/{id}.
func (s *Service) NetworkRemove(ctx context.Context, idOrName string) error {
	m, err := s.manager()
	if err != nil {
		return err
	}
	n, err := m.GetNetwork(idOrName)
	if (err != nil && errdefs.IsNotFound(err) || err == nil && n.Scope == "swarm") && s.swarmNets != nil {
		// The cluster's network; this node's copy goes with its last task.
		ref := idOrName
		if err == nil {
			ref = n.ID
		}
		serr := s.swarmNets.Remove(ctx, ref)
		switch {
		case serr == nil:
			return nil
		case err != nil && (errdefs.IsNotFound(serr) || errdefs.IsUnavailable(serr)):
			return err // neither here nor in a cluster this node manages
		case err != nil:
			return serr // the cluster's refusal (in use by a service...)
		}
	}
	if err != nil {
		return err
	}
	if err := m.RemoveNetwork(ctx, n.ID); err != nil {
		return err
	}
	s.logNetworkEvent(n, "destroy", "")
	return nil
}

// NetworksPrune implements POST /networks/prune: custom networks without
// endpoints, filtered by until and label.
func (s *Service) NetworksPrune(ctx context.Context, f filters.Args) (networktypes.PruneReport, error) {
	rep := networktypes.PruneReport{NetworksDeleted: []string{}}
	m, err := s.manager()
	if err != nil {
		return rep, err
	}
	var until time.Time
	if u := f.Get("until"); len(u) > 0 {
		if until, err = parseUntil(u[0]); err != nil {
			return rep, err
		}
	}
	for _, n := range m.Networks() {
		if isPredefined(n) || len(n.Endpoints) > 0 {
			continue
		}
		if !until.IsZero() && !n.Created.Before(until) {
			continue
		}
		if !f.MatchKVList("label", n.Labels) || f.AnyKV("label!", n.Labels) {
			continue
		}
		if err := m.RemoveNetwork(ctx, n.ID); err != nil {
			continue // gained an endpoint meanwhile
		}
		s.logNetworkEvent(n, "destroy", "")
		rep.NetworksDeleted = append(rep.NetworksDeleted, n.Name)
	}
	return rep, nil
}

// networkAndContainer resolves the two objects of connect and disconnect.
func (s *Service) networkAndContainer(netRef, ctrRef string) (*network.Manager, *network.Network, *container.Container, error) {
	m, err := s.manager()
	if err != nil {
		return nil, nil, nil, err
	}
	n, err := m.GetNetwork(netRef)
	if err != nil {
		return nil, nil, nil, err
	}
	c, err := s.get(ctrRef)
	if err != nil {
		return nil, nil, nil, err
	}
	return m, n, c, nil
}

// logNetworkEvent records a network event with Docker's attributes.
func (s *Service) logNetworkEvent(n *network.Network, action eventtypes.Action, containerID string) {
	attrs := map[string]string{"name": n.Name, "type": n.Driver}
	if containerID != "" {
		attrs["container"] = containerID
	}
	s.events.Log(eventtypes.NetworkEventType, action, n.ID, attrs)
}

// NetworkConnect implements POST /networks/{id}/connect: a running
// container gets a new interface now; a stopped one at its next start.
func (s *Service) NetworkConnect(ctx context.Context, idOrName string, req networktypes.ConnectRequest) error {
	m, n, c, err := s.networkAndContainer(idOrName, req.Container)
	if err != nil {
		return s.swarmOnly(idOrName, err)
	}
	c.Lock()
	defer c.Unlock()
	if err := taskOnly(c, n); err != nil {
		return err
	}
	mode := parseNetMode(c.HostConfig.NetworkMode)
	switch {
	case mode.kind == modeContainer:
		return errdefs.Forbidden("container sharing network namespace with another container or host cannot be connected to any other network")
	case mode.kind == modeHost || n.Name == modeHost:
		return privateModeError(modeHost)
	case mode.kind == modeNone || n.Name == modeNone:
		return privateModeError(modeNone)
	}
	if c.NetworkingConfig == nil {
		c.NetworkingConfig = &networktypes.NetworkingConfig{}
	}
	if c.NetworkingConfig.EndpointsConfig == nil {
		c.NetworkingConfig.EndpointsConfig = map[string]*networktypes.EndpointSettings{}
	}
	if _, ok := c.NetworkingConfig.EndpointsConfig[n.Name]; ok {
		return errdefs.Forbidden("endpoint with name %s already exists in network %s", trimSlash(c.Name), n.Name)
	}
	es := req.EndpointConfig.Copy()
	if es == nil {
		es = &networktypes.EndpointSettings{}
	}
	if n.Name == network.DefaultNetworkName && len(es.Aliases) > 0 {
		return errdefs.InvalidParameter("network-scoped alias is supported only for containers in user defined networks")
	}
	es.NetworkID = n.ID
	c.NetworkingConfig.EndpointsConfig[n.Name] = es
	if c.IsRunning() {
		ep, err := m.Attach(ctx, s.attachRequest(c, n.Name, n.Name, s.netnsPath(c.ID), false))
		if err != nil {
			delete(c.NetworkingConfig.EndpointsConfig, n.Name)
			return err
		}
		hadDNS := s.usesEmbeddedDNS(c)
		rec := endpointRecord(n.Name, es, ep)
		c.Endpoints = append(c.Endpoints, rec)
		if !hadDNS && s.usesEmbeddedDNS(c) {
			if err := s.startDNS(c, s.netnsPath(c.ID)); err != nil {
				_ = m.Detach(ctx, c.ID, n.Name)
				c.Endpoints = c.Endpoints[:len(c.Endpoints)-1]
				delete(c.NetworkingConfig.EndpointsConfig, n.Name)
				return err
			}
			// As Docker's sandbox does, point resolv.conf at the embedded
			// server now that there are names to resolve. Written in place:
			// the container sees this inode through its bind mount.
			if err := os.WriteFile(c.ResolvConfPath, s.resolvConf(c), 0o644); err != nil {
				return fmt.Errorf("update resolv.conf: %w", err)
			}
		}
		// The new address names the container in its /etc/hosts, as
		// libnetwork adds an entry per joined endpoint.
		if err := addHostsEntries(c.HostsPath, c.Config.Hostname, rec); err != nil {
			return err
		}
	}
	if err := s.store.Save(c); err != nil {
		return err
	}
	s.logNetworkEvent(n, "connect", c.ID)
	return nil
}

// NetworkDisconnect implements POST /networks/{id}/disconnect.
func (s *Service) NetworkDisconnect(ctx context.Context, idOrName string, req networktypes.DisconnectRequest) error {
	m, n, c, err := s.networkAndContainer(idOrName, req.Container)
	if err != nil {
		return err
	}
	c.Lock()
	defer c.Unlock()
	mode := parseNetMode(c.HostConfig.NetworkMode)
	if mode.kind == modeHost || n.Name == modeHost {
		return privateModeError(modeHost)
	}
	if c.NetworkingConfig == nil || c.NetworkingConfig.EndpointsConfig[n.Name] == nil {
		return errdefs.Forbidden("container %s is not connected to network %s", c.ID, n.Name)
	}
	if c.IsRunning() && mode.ownsNetNS() {
		if err := m.Detach(ctx, c.ID, n.Name); err != nil {
			return err
		}
		kept := c.Endpoints[:0]
		var gone *container.Endpoint
		for _, ep := range c.Endpoints {
			if ep.NetworkName != n.Name {
				kept = append(kept, ep)
			} else {
				gone = ep
			}
		}
		c.Endpoints = kept
		if gone != nil {
			if err := removeHostsEntries(c.HostsPath, gone); err != nil {
				return err
			}
		}
		if !s.usesEmbeddedDNS(c) {
			s.stopDNS(c.ID)
			// Nothing answers at 127.0.0.11 any more: back to the
			// servers the resolver forwarded to.
			if err := os.WriteFile(c.ResolvConfPath, s.resolvConf(c), 0o644); err != nil {
				return fmt.Errorf("update resolv.conf: %w", err)
			}
		}
	}
	delete(c.NetworkingConfig.EndpointsConfig, n.Name)
	if err := s.store.Save(c); err != nil {
		return err
	}
	s.logNetworkEvent(n, "disconnect", c.ID)
	return nil
}

// endpointsView is the container's networks for inspect and ps: the
// configured ones overlaid with the runtime settings of a running
// container.
func endpointsView(c *container.Container) map[string]*networktypes.EndpointSettings {
	out := map[string]*networktypes.EndpointSettings{}
	if c.NetworkingConfig != nil {
		for name, es := range c.NetworkingConfig.EndpointsConfig {
			cp := es.Copy()
			if cp == nil {
				cp = &networktypes.EndpointSettings{}
			}
			out[name] = cp
		}
	}
	for _, ep := range c.Endpoints {
		es := ep.EndpointSettings
		out[ep.NetworkName] = es.Copy()
	}
	return out
}
