package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/berth-project/berth/container"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/network"
	containertypes "github.com/moby/moby/api/types/container"
	networktypes "github.com/moby/moby/api/types/network"
)

// Network mode kinds, from HostConfig.NetworkMode.
const (
	modeBridge    = "bridge" // the default bridge
	modeHost      = "host"
	modeNone      = "none"
	modeContainer = "container" // container:<ref>
	modeUser      = "user"      // a user-defined network, by name or ID
)

type netMode struct {
	kind string
	ref  string // network name/ID, or the container reference
}

func parseNetMode(m containertypes.NetworkMode) netMode {
	s := string(m)
	switch {
	case s == "" || s == "default" || s == "bridge":
		return netMode{modeBridge, "bridge"}
	case s == "host" || s == "none":
		return netMode{s, s}
	case strings.HasPrefix(s, "container:"):
		return netMode{modeContainer, strings.TrimPrefix(s, "container:")}
	}
	return netMode{modeUser, s}
}

// ownsNetNS reports whether the container gets a namespace of its own that
// berth creates and attaches to networks.
func (m netMode) ownsNetNS() bool { return m.kind == modeBridge || m.kind == modeUser }

// prepareNetworking validates the network settings of a create request
// with Docker's errors and returns the configured networks keyed by
// network name, the first one being the network mode's network.
func (s *Service) prepareNetworking(cfg *containertypes.Config, hc *containertypes.HostConfig, req *networktypes.NetworkingConfig) (*networktypes.NetworkingConfig, error) {
	var in map[string]*networktypes.EndpointSettings
	if req != nil {
		in = req.EndpointsConfig
	}
	out := &networktypes.NetworkingConfig{EndpointsConfig: map[string]*networktypes.EndpointSettings{}}
	mode := parseNetMode(hc.NetworkMode)
	switch mode.kind {
	case modeHost, modeNone:
		if mode.kind == modeHost && len(hc.Links) > 0 {
			return nil, errdefs.InvalidParameter("conflicting options: host type networking can't be used with links. This would result in undefined behavior")
		}
		for name := range in {
			if name != mode.kind && name != networktypes.NetworkDefault {
				return nil, privateModeError(mode.kind)
			}
		}
		es := in[mode.kind].Copy()
		if es == nil {
			es = &networktypes.EndpointSettings{}
		}
		if s.net != nil {
			if n, err := s.net.GetNetwork(mode.kind); err == nil {
				es.NetworkID = n.ID
			}
		}
		out.EndpointsConfig[mode.kind] = es
		if mode.kind == modeHost {
			// Docker ignores published ports with host networking.
			hc.PortBindings = nil
		}
		return out, nil
	case modeContainer:
		other, err := s.get(mode.ref)
		if err != nil {
			return nil, err
		}
		switch {
		case cfg.Hostname != "":
			return nil, errdefs.InvalidParameter("conflicting options: hostname and the network mode")
		case len(hc.PortBindings) > 0 || hc.PublishAllPorts:
			return nil, errdefs.InvalidParameter("conflicting options: port publishing and the container type network mode")
		case len(hc.DNS) > 0 || len(hc.DNSSearch) > 0 || len(hc.DNSOptions) > 0:
			return nil, errdefs.InvalidParameter("conflicting options: dns and the network mode")
		case len(hc.ExtraHosts) > 0:
			return nil, errdefs.InvalidParameter("conflicting options: custom host-to-IP mapping and the network mode")
		case len(hc.Links) > 0:
			return nil, errdefs.InvalidParameter("conflicting options: container type network can't be used with links. This would result in undefined behavior")
		case len(in) > 0:
			return nil, errdefs.InvalidParameter("container sharing network namespace with another container or host cannot be connected to any other network")
		}
		hc.NetworkMode = containertypes.NetworkMode("container:" + other.ID)
		return out, nil
	}
	if s.net == nil {
		return nil, errdefs.NotFound("network %s not found", mode.ref)
	}
	// Like Docker, a network that does not exist (yet) fails the start,
	// not the create.
	resolve := func(ref string) (*network.Network, error) {
		n, err := s.net.GetNetwork(ref)
		if errors.Is(err, errdefs.ErrNotFound) {
			return nil, nil
		}
		return n, err
	}
	primary, err := resolve(mode.ref)
	if err != nil {
		return nil, err
	}
	add := func(key string, n *network.Network, es *networktypes.EndpointSettings) error {
		es = es.Copy()
		if es == nil {
			es = &networktypes.EndpointSettings{}
		}
		if n == nil {
			out.EndpointsConfig[key] = es
			return nil
		}
		if n.Name == modeHost || n.Name == modeNone {
			return privateModeError(n.Name)
		}
		if n.Name == network.DefaultNetworkName {
			if len(es.Aliases) > 0 {
				return errdefs.InvalidParameter("network-scoped alias is supported only for containers in user defined networks")
			}
			if ip := es.IPAMConfig; ip != nil && (ip.IPv4Address.IsValid() || ip.IPv6Address.IsValid()) {
				return errdefs.InvalidParameter("user specified IP address is supported on user defined networks only")
			}
		}
		es.NetworkID = n.ID
		out.EndpointsConfig[n.Name] = es
		return nil
	}
	primaryKeys := []string{mode.ref, networktypes.NetworkDefault}
	primaryName := mode.ref
	if primary != nil {
		primaryName = primary.Name
		primaryKeys = append(primaryKeys, primary.Name, primary.ID)
	}
	taken := map[string]bool{}
	var primaryES *networktypes.EndpointSettings
	for _, key := range primaryKeys {
		if es, ok := in[key]; ok && !taken[key] {
			taken[key] = true
			if primaryES == nil {
				primaryES = es
			}
		}
	}
	if err := add(primaryName, primary, primaryES); err != nil {
		return nil, err
	}
	for _, key := range sortedKeys(in) {
		if taken[key] {
			continue
		}
		n, err := resolve(key)
		if err != nil {
			return nil, err
		}
		if n != nil {
			if _, dup := out.EndpointsConfig[n.Name]; dup {
				continue
			}
		}
		if err := add(key, n, in[key]); err != nil {
			return nil, err
		}
	}
	for _, l := range hc.Links {
		target, _, err := parseLink(l)
		if err != nil {
			return nil, err
		}
		if _, err := s.get(target); err != nil {
			// A link to a missing container is a bad request, not a
			// missing resource: clients read a 404 from create as "image
			// not found" and would try to pull (moby#39823).
			return nil, errdefs.InvalidParameter("could not get container for %s: %s", target, err)
		}
	}
	return out, nil
}

func privateModeError(kind string) error {
	if kind == modeHost {
		return errdefs.Forbidden("container cannot be disconnected from host network or connected to host network")
	}
	return errdefs.Forbidden("container cannot be connected to multiple networks with one of the networks in private (none) mode")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// netRef is a configured network: the key of its settings in the record
// and the network it resolves to now.
type netRef struct {
	key string
	net *network.Network
}

// networkOrder resolves the container's configured networks, the network
// mode's first (it carries the published ports, as in Docker).
func (s *Service) networkOrder(c *container.Container) ([]netRef, error) {
	mode := parseNetMode(c.HostConfig.NetworkMode)
	primary, err := s.net.GetNetwork(mode.ref)
	if err != nil {
		return nil, s.swarmOnly(mode.ref, err)
	}
	var eps map[string]*networktypes.EndpointSettings
	if c.NetworkingConfig != nil {
		eps = c.NetworkingConfig.EndpointsConfig
	}
	if err := taskOnly(c, primary); err != nil {
		return nil, err
	}
	refs := []netRef{{key: primary.Name, net: primary}}
	for _, key := range sortedKeys(eps) {
		n, err := s.net.GetNetwork(key)
		if err != nil {
			return nil, s.swarmOnly(key, err)
		}
		if err := taskOnly(c, n); err != nil {
			return nil, err
		}
		if n.ID == primary.ID {
			refs[0].key = key
			continue
		}
		refs = append(refs, netRef{key: key, net: n})
	}
	return refs, nil
}

func (s *Service) endpointSettings(c *container.Container, name string) *networktypes.EndpointSettings {
	if c.NetworkingConfig != nil {
		if es := c.NetworkingConfig.EndpointsConfig[name]; es != nil {
			return es
		}
	}
	return &networktypes.EndpointSettings{}
}

// netSetup is what setupNetwork hands to the rest of start.
type netSetup struct {
	netnsPath string   // "" = the runtime creates (none) or shares (host) one
	env       []string // legacy link variables
	hosts     []string // extra /etc/hosts lines (legacy links)
	source    *container.Container
}

// setupNetwork creates the container's network namespace and attaches it
// to each configured network; the embedded DNS server is started when a
// user-defined network is among them. Host networking uses the host's
// namespace; "none" gets a fresh namespace from the runtime; container:X
// joins X's. Called with c locked; teardownNetwork undoes it, also
// after a partial failure.
func (s *Service) setupNetwork(ctx context.Context, c *container.Container) (*netSetup, error) {
	c.Endpoints, c.Ports, c.LinkEnv = nil, nil, nil
	mode := parseNetMode(c.HostConfig.NetworkMode)
	switch mode.kind {
	case modeHost, modeNone:
		return &netSetup{}, nil
	case modeContainer:
		return s.joinNetNS(c, mode.ref)
	}
	if s.net == nil {
		return nil, errdefs.NotFound("network %s not found", mode.ref)
	}
	refs, err := s.networkOrder(c)
	if err != nil {
		return nil, err
	}
	path := s.netnsPath(c.ID)
	if err := network.NewNetNS(path); err != nil {
		return nil, fmt.Errorf("create network namespace: %w", err)
	}
	for i, ref := range refs {
		ep, err := s.net.Attach(ctx, s.attachRequest(c, ref.key, ref.net.Name, path, i == 0))
		if err != nil {
			return nil, err
		}
		c.Endpoints = append(c.Endpoints, endpointRecord(ref.net.Name, s.endpointSettings(c, ref.key), ep))
		if i == 0 {
			c.Ports = ep.Ports
		}
	}
	res := &netSetup{netnsPath: path}
	if err := s.setupLinks(ctx, c, res); err != nil {
		return nil, err
	}
	c.LinkEnv = res.env
	if s.usesEmbeddedDNS(c) {
		if err := s.startDNS(c, path); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func (s *Service) attachRequest(c *container.Container, key, name, netns string, primary bool) network.AttachRequest {
	es := s.endpointSettings(c, key)
	req := network.AttachRequest{
		ContainerID:   c.ID,
		ContainerName: trimSlash(c.Name),
		Network:       name,
		NetNSPath:     netns,
	}
	if name != network.DefaultNetworkName {
		req.Aliases = append(append(req.Aliases, es.Aliases...), c.ShortID())
	}
	if ip := es.IPAMConfig; ip != nil {
		req.IPv4, req.IPv6 = ip.IPv4Address, ip.IPv6Address
	}
	if len(es.MacAddress) > 0 {
		req.MacAddress = es.MacAddress.String()
	}
	if primary {
		req.PortBindings = c.HostConfig.PortBindings
		req.PublishAll = c.HostConfig.PublishAllPorts
		req.ExposedPorts = c.Config.ExposedPorts
	}
	return req
}

// endpointRecord merges the configured settings with what Attach gave.
func endpointRecord(name string, conf *networktypes.EndpointSettings, ep *network.Endpoint) *container.Endpoint {
	es := conf.Copy()
	es.NetworkID = ep.NetworkID
	es.EndpointID = ep.EndpointID
	es.IPAddress = ep.IP.Addr()
	es.IPPrefixLen = ep.IP.Bits()
	es.Gateway = ep.Gateway
	if ep.IPv6.IsValid() {
		es.GlobalIPv6Address = ep.IPv6.Addr()
		es.GlobalIPv6PrefixLen = ep.IPv6.Bits()
	}
	es.IPv6Gateway = ep.Gateway6
	if hw, err := parseHW(ep.MacAddress); err == nil {
		es.MacAddress = hw
	}
	if name != network.DefaultNetworkName {
		es.DNSNames = ep.Aliases
	}
	return &container.Endpoint{NetworkName: name, EndpointSettings: *es}
}

// joinNetNS resolves container:<ref> to the running container's namespace.
func (s *Service) joinNetNS(c *container.Container, ref string) (*netSetup, error) {
	other, err := s.get(ref)
	if err != nil {
		return nil, err
	}
	if other.ID == c.ID {
		return nil, errdefs.InvalidParameter("cannot join own network namespace")
	}
	other.Lock()
	defer other.Unlock()
	if !other.IsRunning() || other.State.Pid == 0 {
		return nil, errdefs.Conflict("cannot join network namespace of a non running container: %s", other.ID)
	}
	path := fmt.Sprintf("/proc/%d/ns/net", other.State.Pid)
	if _, err := os.Stat(path); err != nil {
		return nil, errdefs.Conflict("cannot join network namespace of container %s: %v", other.ShortID(), err)
	}
	c.Config.Hostname = other.Config.Hostname
	return &netSetup{netnsPath: path, source: other}, nil
}

// teardownNetwork undoes setupNetwork, also a partial one; idempotent.
func (s *Service) teardownNetwork(ctx context.Context, c *container.Container) {
	s.stopDNS(c.ID)
	if parseNetMode(c.HostConfig.NetworkMode).ownsNetNS() {
		if s.net != nil {
			_ = s.net.DetachAll(ctx, c.ID)
		}
		if _, err := os.Stat(s.netnsPath(c.ID)); err == nil {
			_ = network.DeleteNetNS(s.netnsPath(c.ID))
		}
	}
	c.Endpoints, c.Ports, c.LinkEnv = nil, nil, nil
}

// usesEmbeddedDNS: containers on a user-defined network resolve names
// through 127.0.0.11, as in Docker.
func (s *Service) usesEmbeddedDNS(c *container.Container) bool {
	for _, ep := range c.Endpoints {
		if ep.NetworkName != network.DefaultNetworkName {
			return true
		}
	}
	return false
}
