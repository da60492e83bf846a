package container

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// netSpec is one --network value: a name, or the advanced form
// "name=NET,alias=A,ip=IP,ip6=IP,mac-address=MAC,driver-opt=K=V,link-local-ip=IP".
type netSpec struct {
	name string
	es   network.EndpointSettings
	adv  bool // advanced form: per-network settings given inline
}

func parseNetSpec(v string) (netSpec, error) {
	if !strings.Contains(v, "=") {
		return netSpec{name: v}, nil
	}
	s := netSpec{adv: true}
	for _, field := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(field, "=")
		if !ok {
			return s, fmt.Errorf("invalid field '%s' must be a key=value pair", field)
		}
		switch strings.ToLower(k) {
		case "name":
			s.name = val
		case "alias":
			s.es.Aliases = append(s.es.Aliases, val)
		case "ip", "ip6", "link-local-ip":
			a, err := netip.ParseAddr(val)
			if err != nil {
				return s, fmt.Errorf("invalid IP address %s: %w", val, err)
			}
			if s.es.IPAMConfig == nil {
				s.es.IPAMConfig = &network.EndpointIPAMConfig{}
			}
			switch k {
			case "ip":
				s.es.IPAMConfig.IPv4Address = a
			case "ip6":
				s.es.IPAMConfig.IPv6Address = a
			default:
				s.es.IPAMConfig.LinkLocalIPs = append(s.es.IPAMConfig.LinkLocalIPs, a)
			}
		case "mac-address":
			hw, err := parseMAC(val)
			if err != nil {
				return s, err
			}
			s.es.MacAddress = hw
		case "driver-opt":
			dk, dv, _ := strings.Cut(val, "=")
			if s.es.DriverOpts == nil {
				s.es.DriverOpts = map[string]string{}
			}
			s.es.DriverOpts[dk] = dv
		case "gw-priority":
			var p int
			if _, err := fmt.Sscan(val, &p); err != nil {
				return s, fmt.Errorf("invalid gw-priority %q", val)
			}
			s.es.GwPriority = p
		default:
			return s, fmt.Errorf("invalid field key %s", k)
		}
	}
	if s.name == "" {
		return s, errors.New("network name must be specified")
	}
	return s, nil
}

// networkConfig turns --network (repeatable) and the per-network flags
// (--ip, --ip6, --network-alias, --mac-address, --link-local-ip) into the
// network mode and endpoint settings the daemon expects: the first network
// is the mode, and every user-defined one gets an endpoint entry.
func (o *containerOptions) networkConfig() (container.NetworkMode, *network.NetworkingConfig, error) {
	nc := &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{}}
	var specs []netSpec
	for _, v := range o.networks.GetAll() {
		s, err := parseNetSpec(v)
		if err != nil {
			return "", nil, err
		}
		specs = append(specs, s)
	}
	legacy := o.ip != "" || o.ip6 != "" || o.networkAlias.Len() > 0 || o.macAddress != ""
	if len(specs) > 1 {
		for _, s := range specs {
			m := container.NetworkMode(s.name)
			if m.IsHost() || m.IsNone() || m.IsContainer() {
				return "", nil, errors.New("conflicting options: cannot attach both user-defined and non-user-defined network-modes")
			}
		}
		if legacy {
			return "", nil, errors.New("conflicting options: cannot specify --ip, --ip6, --network-alias or --mac-address with multiple networks; use --network name=NET,ip=...,alias=... instead")
		}
	}
	if len(specs) == 0 {
		specs = []netSpec{{name: "default"}}
	}
	first := &specs[0]
	if legacy {
		es := &first.es
		es.Aliases = append(es.Aliases, o.networkAlias.GetAll()...)
		if o.ip != "" || o.ip6 != "" {
			if es.IPAMConfig == nil {
				es.IPAMConfig = &network.EndpointIPAMConfig{}
			}
			if o.ip != "" {
				a, err := netip.ParseAddr(o.ip)
				if err != nil || !a.Is4() {
					return "", nil, fmt.Errorf("invalid IPv4 address: %s", o.ip)
				}
				es.IPAMConfig.IPv4Address = a
			}
			if o.ip6 != "" {
				a, err := netip.ParseAddr(o.ip6)
				if err != nil || !a.Is6() {
					return "", nil, fmt.Errorf("invalid IPv6 address: %s", o.ip6)
				}
				es.IPAMConfig.IPv6Address = a
			}
		}
		if o.macAddress != "" {
			hw, err := parseMAC(o.macAddress)
			if err != nil {
				return "", nil, err
			}
			es.MacAddress = hw
		}
	}
	for i, s := range specs {
		if _, dup := nc.EndpointsConfig[s.name]; dup {
			return "", nil, fmt.Errorf("network %q is specified multiple times", s.name)
		}
		m := container.NetworkMode(s.name)
		empty := !s.adv && (i != 0 || !legacy)
		if (m.IsHost() || m.IsNone() || m.IsContainer() || s.name == "default") && empty {
			continue
		}
		es := s.es
		nc.EndpointsConfig[s.name] = &es
	}
	return container.NetworkMode(first.name), nc, nil
}
