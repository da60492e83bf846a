package compose

import (
	"context"
	"fmt"
	"io"
	"net/netip"

	"github.com/compose-spec/compose-go/v2/types"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/sirupsen/logrus"
)

// Warn receives Compose's plain notices (the CLI points it at stderr).
var Warn io.Writer = io.Discard

// warnf warns through logrus, as Compose and compose-go do, so that the
// wording and layout match theirs (level=warning msg=... off a terminal).
func warnf(format string, a ...any) { logrus.Warnf(format, a...) }

// usedNetworks are the project networks the enabled services join.
func usedNetworks(p *types.Project) []string {
	seen := map[string]bool{}
	var out []string
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		for _, k := range s.NetworksByPriority() {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}

// ensureNetworks creates the project networks that do not exist yet and
// checks that external ones do.
func (s *Service) ensureNetworks(ctx context.Context, p *types.Project) error {
	for _, key := range usedNetworks(p) {
		nw, ok := p.Networks[key]
		if !ok {
			continue
		}
		if err := s.ensureNetwork(ctx, p, key, nw); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) ensureNetwork(ctx context.Context, p *types.Project, key string, nw types.NetworkConfig) error {
	existing, err := s.API.NetworkInspect(ctx, nw.Name, client.NetworkInspectOptions{})
	switch {
	case err == nil:
		if !nw.External && existing.Network.Labels[ProjectLabel] != p.Name {
			warnf("a network with name %s exists but was not created for project %q.\nSet `external: true` to use an existing network", nw.Name, p.Name)
		}
		return nil
	case !cerrdefs.IsNotFound(err):
		return err
	case bool(nw.External):
		return fmt.Errorf("network %s declared as external, but could not be found", nw.Name)
	}
	labels := map[string]string{}
	for k, v := range nw.Labels {
		labels[k] = v
	}
	labels[ProjectLabel] = p.Name
	labels[NetworkLabel] = key
	labels[VersionLabel] = ComposeVersion
	opts := client.NetworkCreateOptions{
		Driver:     nw.Driver,
		Options:    nw.DriverOpts,
		Internal:   nw.Internal,
		Attachable: nw.Attachable,
		Labels:     labels,
		EnableIPv4: nw.EnableIPv4,
		EnableIPv6: nw.EnableIPv6,
	}
	if nw.Ipam.Driver != "" || len(nw.Ipam.Config) > 0 {
		ipam := &network.IPAM{Driver: nw.Ipam.Driver, Options: nw.Ipam.Options}
		for _, pool := range nw.Ipam.Config {
			c, err := ipamConfig(pool)
			if err != nil {
				return fmt.Errorf("network %s: %w", nw.Name, err)
			}
			ipam.Config = append(ipam.Config, c)
		}
		opts.IPAM = ipam
	}
	s.event(networkID(nw.Name), "Creating")
	if _, err := s.API.NetworkCreate(ctx, nw.Name, opts); err != nil {
		s.event(networkID(nw.Name), "Error")
		return fmt.Errorf("failed to create network %s: %w", nw.Name, err)
	}
	s.event(networkID(nw.Name), "Created")
	return nil
}

func ipamConfig(pool *types.IPAMPool) (network.IPAMConfig, error) {
	var c network.IPAMConfig
	var err error
	if pool.Subnet != "" {
		if c.Subnet, err = netip.ParsePrefix(pool.Subnet); err != nil {
			return c, fmt.Errorf("invalid subnet %q", pool.Subnet)
		}
	}
	if pool.IPRange != "" {
		if c.IPRange, err = netip.ParsePrefix(pool.IPRange); err != nil {
			return c, fmt.Errorf("invalid ip_range %q", pool.IPRange)
		}
	}
	if pool.Gateway != "" {
		if c.Gateway, err = netip.ParseAddr(pool.Gateway); err != nil {
			return c, fmt.Errorf("invalid gateway %q", pool.Gateway)
		}
	}
	for k, v := range pool.AuxiliaryAddresses {
		a, err := netip.ParseAddr(v)
		if err != nil {
			return c, fmt.Errorf("invalid aux address %q", v)
		}
		if c.AuxAddress == nil {
			c.AuxAddress = map[string]netip.Addr{}
		}
		c.AuxAddress[k] = a
	}
	return c, nil
}

// ensureVolumes creates the project's named volumes and checks external
// ones exist.
func (s *Service) ensureVolumes(ctx context.Context, p *types.Project) error {
	for _, key := range p.VolumeNames() {
		v := p.Volumes[key]
		existing, err := s.API.VolumeInspect(ctx, v.Name, client.VolumeInspectOptions{})
		switch {
		case err == nil:
			if !v.External && existing.Volume.Labels[ProjectLabel] != p.Name {
				warnf("volume %q already exists but was not created by Docker Compose. Use `external: true` to use an existing volume", v.Name)
			}
			continue
		case !cerrdefs.IsNotFound(err):
			return err
		case bool(v.External):
			return fmt.Errorf("external volume %q not found", v.Name)
		}
		labels := map[string]string{}
		for k, val := range v.Labels {
			labels[k] = val
		}
		labels[ProjectLabel] = p.Name
		labels[VolumeLabel] = key
		labels[VersionLabel] = ComposeVersion
		s.event(volumeID(v.Name), "Creating")
		if _, err := s.API.VolumeCreate(ctx, client.VolumeCreateOptions{Name: v.Name, Driver: v.Driver, DriverOpts: v.DriverOpts, Labels: labels}); err != nil {
			s.event(volumeID(v.Name), "Error")
			return fmt.Errorf("failed to create volume %s: %w", v.Name, err)
		}
		s.event(volumeID(v.Name), "Created")
	}
	return nil
}
