package convert

import (
	"fmt"
	"net/netip"
	"strings"

	gogotypes "github.com/gogo/protobuf/types"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	types "github.com/moby/moby/api/types/swarm"
	"github.com/moby/swarmkit/v2/api"
)

func containerSpecToGRPC(c *types.ContainerSpec) (*api.ContainerSpec, error) {
	out := &api.ContainerSpec{
		Image:           c.Image,
		Labels:          c.Labels,
		Command:         c.Command,
		Args:            c.Args,
		Hostname:        c.Hostname,
		Env:             c.Env,
		Dir:             c.Dir,
		User:            c.User,
		Groups:          c.Groups,
		StopSignal:      c.StopSignal,
		TTY:             c.TTY,
		OpenStdin:       c.OpenStdin,
		ReadOnly:        c.ReadOnly,
		Hosts:           c.Hosts,
		Sysctls:         c.Sysctls,
		CapabilityAdd:   c.CapabilityAdd,
		CapabilityDrop:  c.CapabilityDrop,
		OomScoreAdj:     c.OomScoreAdj,
		StopGracePeriod: durationProto(c.StopGracePeriod),
	}
	if c.Init != nil {
		out.Init = &gogotypes.BoolValue{Value: *c.Init}
	}
	if c.DNSConfig != nil {
		d := &api.ContainerSpec_DNSConfig{Search: c.DNSConfig.Search, Options: c.DNSConfig.Options}
		for _, ns := range c.DNSConfig.Nameservers {
			d.Nameservers = append(d.Nameservers, ns.String())
		}
		out.DNSConfig = d
	}
	for _, u := range c.Ulimits {
		if u != nil {
			out.Ulimits = append(out.Ulimits, &api.ContainerSpec_Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
		}
	}
	if p := c.Privileges; p != nil {
		out.Privileges = &api.Privileges{NoNewPrivileges: p.NoNewPrivileges}
		if s := p.SELinuxContext; s != nil {
			out.Privileges.SELinuxContext = &api.Privileges_SELinuxContext{Disable: s.Disable, User: s.User, Role: s.Role, Type: s.Type, Level: s.Level}
		}
	}
	if h := c.Healthcheck; h != nil {
		out.Healthcheck = &api.HealthConfig{
			Test:          h.Test,
			Interval:      gogotypes.DurationProto(h.Interval),
			Timeout:       gogotypes.DurationProto(h.Timeout),
			StartPeriod:   gogotypes.DurationProto(h.StartPeriod),
			StartInterval: gogotypes.DurationProto(h.StartInterval),
			Retries:       int32(h.Retries),
		}
	}
	for _, m := range c.Mounts {
		gm, err := mountToGRPC(m)
		if err != nil {
			return nil, err
		}
		out.Mounts = append(out.Mounts, gm)
	}
	for _, s := range c.Secrets {
		if s == nil {
			continue
		}
		r := &api.SecretReference{SecretID: s.SecretID, SecretName: s.SecretName}
		if f := s.File; f != nil {
			r.Target = &api.SecretReference_File{File: &api.FileTarget{Name: f.Name, UID: f.UID, GID: f.GID, Mode: f.Mode}}
		}
		out.Secrets = append(out.Secrets, r)
	}
	for _, s := range c.Configs {
		if s == nil {
			continue
		}
		r := &api.ConfigReference{ConfigID: s.ConfigID, ConfigName: s.ConfigName}
		switch {
		case s.File != nil:
			r.Target = &api.ConfigReference_File{File: &api.FileTarget{Name: s.File.Name, UID: s.File.UID, GID: s.File.GID, Mode: s.File.Mode}}
		case s.Runtime != nil:
			r.Target = &api.ConfigReference_Runtime{Runtime: &api.RuntimeTarget{}}
		}
		out.Configs = append(out.Configs, r)
	}
	return out, nil
}

func mountToGRPC(m mount.Mount) (api.Mount, error) {
	out := api.Mount{Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly}
	switch m.Type {
	case mount.TypeBind:
		out.Type = api.MountTypeBind
	case mount.TypeVolume, "":
		out.Type = api.MountTypeVolume
	case mount.TypeTmpfs:
		out.Type = api.MountTypeTmpfs
	case mount.TypeNamedPipe:
		out.Type = api.MountTypeNamedPipe
	case mount.TypeCluster:
		out.Type = api.MountTypeCluster
	default:
		return out, fmt.Errorf("invalid MountType: %q", m.Type)
	}
	if b := m.BindOptions; b != nil {
		out.BindOptions = &api.Mount_BindOptions{NonRecursive: b.NonRecursive, CreateMountpoint: b.CreateMountpoint, ReadOnlyNonRecursive: b.ReadOnlyNonRecursive, ReadOnlyForceRecursive: b.ReadOnlyForceRecursive}
		if b.Propagation != "" {
			v, ok := api.Mount_BindOptions_MountPropagation_value[strings.ToUpper(string(b.Propagation))]
			if !ok {
				return out, fmt.Errorf("invalid MountPropagation: %q", b.Propagation)
			}
			out.BindOptions.Propagation = api.Mount_BindOptions_MountPropagation(v)
		}
	}
	if v := m.VolumeOptions; v != nil {
		out.VolumeOptions = &api.Mount_VolumeOptions{NoCopy: v.NoCopy, Labels: v.Labels, Subpath: v.Subpath}
		if v.DriverConfig != nil {
			out.VolumeOptions.DriverConfig = &api.Driver{Name: v.DriverConfig.Name, Options: v.DriverConfig.Options}
		}
	}
	if t := m.TmpfsOptions; t != nil {
		out.TmpfsOptions = &api.Mount_TmpfsOptions{SizeBytes: t.SizeBytes, Mode: t.Mode}
	}
	return out, nil
}

func containerSpecFromGRPC(c *api.ContainerSpec) *types.ContainerSpec {
	if c == nil {
		return nil
	}
	out := &types.ContainerSpec{
		Image:           c.Image,
		Labels:          c.Labels,
		Command:         c.Command,
		Args:            c.Args,
		Hostname:        c.Hostname,
		Env:             c.Env,
		Dir:             c.Dir,
		User:            c.User,
		Groups:          c.Groups,
		StopSignal:      c.StopSignal,
		TTY:             c.TTY,
		OpenStdin:       c.OpenStdin,
		ReadOnly:        c.ReadOnly,
		Hosts:           c.Hosts,
		Sysctls:         c.Sysctls,
		CapabilityAdd:   c.CapabilityAdd,
		CapabilityDrop:  c.CapabilityDrop,
		OomScoreAdj:     c.OomScoreAdj,
		StopGracePeriod: durationPtr(c.StopGracePeriod),
	}
	if c.Init != nil {
		v := c.Init.Value
		out.Init = &v
	}
	if d := c.DNSConfig; d != nil {
		dc := &types.DNSConfig{Search: d.Search, Options: d.Options}
		for _, ns := range d.Nameservers {
			if a, err := netip.ParseAddr(ns); err == nil {
				dc.Nameservers = append(dc.Nameservers, a)
			}
		}
		out.DNSConfig = dc
	}
	for _, u := range c.Ulimits {
		out.Ulimits = append(out.Ulimits, &container.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	if p := c.Privileges; p != nil {
		out.Privileges = &types.Privileges{NoNewPrivileges: p.NoNewPrivileges}
		if s := p.SELinuxContext; s != nil {
			out.Privileges.SELinuxContext = &types.SELinuxContext{Disable: s.Disable, User: s.User, Role: s.Role, Type: s.Type, Level: s.Level}
		}
	}
	if h := c.Healthcheck; h != nil {
		out.Healthcheck = &container.HealthConfig{
			Test:          h.Test,
			Interval:      durationOf(h.Interval),
			Timeout:       durationOf(h.Timeout),
			StartPeriod:   durationOf(h.StartPeriod),
			StartInterval: durationOf(h.StartInterval),
			Retries:       int(h.Retries),
		}
	}
	for _, m := range c.Mounts {
		out.Mounts = append(out.Mounts, mountFromGRPC(m))
	}
	for _, s := range c.Secrets {
		r := &types.SecretReference{SecretID: s.SecretID, SecretName: s.SecretName}
		if f := s.GetFile(); f != nil {
			r.File = &types.SecretReferenceFileTarget{Name: f.Name, UID: f.UID, GID: f.GID, Mode: f.Mode}
		}
		out.Secrets = append(out.Secrets, r)
	}
	for _, s := range c.Configs {
		r := &types.ConfigReference{ConfigID: s.ConfigID, ConfigName: s.ConfigName}
		if f := s.GetFile(); f != nil {
			r.File = &types.ConfigReferenceFileTarget{Name: f.Name, UID: f.UID, GID: f.GID, Mode: f.Mode}
		} else if s.GetRuntime() != nil {
			r.Runtime = &types.ConfigReferenceRuntimeTarget{}
		}
		out.Configs = append(out.Configs, r)
	}
	return out
}

func mountFromGRPC(m api.Mount) mount.Mount {
	out := mount.Mount{Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly}
	switch m.Type {
	case api.MountTypeBind:
		out.Type = mount.TypeBind
	case api.MountTypeVolume:
		out.Type = mount.TypeVolume
	case api.MountTypeTmpfs:
		out.Type = mount.TypeTmpfs
	case api.MountTypeNamedPipe:
		out.Type = mount.TypeNamedPipe
	case api.MountTypeCluster:
		out.Type = mount.TypeCluster
	}
	if b := m.BindOptions; b != nil {
		out.BindOptions = &mount.BindOptions{Propagation: mount.Propagation(strings.ToLower(b.Propagation.String())), NonRecursive: b.NonRecursive, CreateMountpoint: b.CreateMountpoint, ReadOnlyNonRecursive: b.ReadOnlyNonRecursive, ReadOnlyForceRecursive: b.ReadOnlyForceRecursive}
	}
	if v := m.VolumeOptions; v != nil {
		out.VolumeOptions = &mount.VolumeOptions{NoCopy: v.NoCopy, Labels: v.Labels, Subpath: v.Subpath}
		if v.DriverConfig != nil {
			out.VolumeOptions.DriverConfig = &mount.Driver{Name: v.DriverConfig.Name, Options: v.DriverConfig.Options}
		}
	}
	if t := m.TmpfsOptions; t != nil {
		out.TmpfsOptions = &mount.TmpfsOptions{SizeBytes: t.SizeBytes, Mode: t.Mode}
	}
	return out
}
