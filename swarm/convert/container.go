package convert

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	"github.com/berth-project/berth/internal/errdefs"
	gogotypes "github.com/gogo/protobuf/types"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"
)

func containerSpecFromGRPC(c *swarmapi.ContainerSpec) *types.ContainerSpec {
	if c == nil {
		return nil
	}
	out := &types.ContainerSpec{
		Image:          c.Image,
		Labels:         c.Labels,
		Command:        c.Command,
		Args:           c.Args,
		Hostname:       c.Hostname,
		Env:            c.Env,
		Dir:            c.Dir,
		User:           c.User,
		Groups:         c.Groups,
		Privileges:     privilegesFromGRPC(c.Privileges),
		StopSignal:     c.StopSignal,
		TTY:            c.TTY,
		OpenStdin:      c.OpenStdin,
		ReadOnly:       c.ReadOnly,
		Hosts:          c.Hosts,
		Secrets:        secretReferencesFromGRPC(c.Secrets),
		Configs:        configReferencesFromGRPC(c.Configs),
		Isolation:      isolationFromGRPC(c.Isolation),
		Sysctls:        c.Sysctls,
		CapabilityAdd:  c.CapabilityAdd,
		CapabilityDrop: c.CapabilityDrop,
		OomScoreAdj:    c.OomScoreAdj,
	}
	if c.Init != nil {
		v := c.Init.Value
		out.Init = &v
	}
	if c.StopGracePeriod != nil {
		d := durationFromProto(c.StopGracePeriod)
		out.StopGracePeriod = &d
	}
	if c.DNSConfig != nil {
		out.DNSConfig = &types.DNSConfig{Search: c.DNSConfig.Search, Options: c.DNSConfig.Options}
		for _, ns := range c.DNSConfig.Nameservers {
			// Best effort, as dockerd: validated when the service was created.
			a, _ := netip.ParseAddr(ns)
			out.DNSConfig.Nameservers = append(out.DNSConfig.Nameservers, a)
		}
	}
	for _, m := range c.Mounts {
		out.Mounts = append(out.Mounts, MountFromGRPC(m))
	}
	if h := c.Healthcheck; h != nil {
		out.Healthcheck = &container.HealthConfig{
			Test:          h.Test,
			Interval:      durationFromProto(h.Interval),
			Timeout:       durationFromProto(h.Timeout),
			StartPeriod:   durationFromProto(h.StartPeriod),
			StartInterval: durationFromProto(h.StartInterval),
			Retries:       int(h.Retries),
		}
	}
	for _, u := range c.Ulimits {
		out.Ulimits = append(out.Ulimits, &container.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	return out
}

func containerToGRPC(c *types.ContainerSpec) (*swarmapi.ContainerSpec, error) {
	out := &swarmapi.ContainerSpec{
		Image:          c.Image,
		Labels:         c.Labels,
		Command:        c.Command,
		Args:           c.Args,
		Hostname:       c.Hostname,
		Env:            c.Env,
		Dir:            c.Dir,
		User:           c.User,
		Groups:         c.Groups,
		StopSignal:     c.StopSignal,
		TTY:            c.TTY,
		OpenStdin:      c.OpenStdin,
		ReadOnly:       c.ReadOnly,
		Hosts:          c.Hosts,
		Secrets:        secretReferencesToGRPC(c.Secrets),
		Isolation:      isolationToGRPC(c.Isolation),
		Sysctls:        c.Sysctls,
		CapabilityAdd:  c.CapabilityAdd,
		CapabilityDrop: c.CapabilityDrop,
		OomScoreAdj:    c.OomScoreAdj,
	}
	if c.Init != nil {
		out.Init = &gogotypes.BoolValue{Value: *c.Init}
	}
	if c.StopGracePeriod != nil {
		out.StopGracePeriod = gogotypes.DurationProto(*c.StopGracePeriod)
	}
	if c.DNSConfig != nil {
		out.DNSConfig = &swarmapi.ContainerSpec_DNSConfig{Search: c.DNSConfig.Search, Options: c.DNSConfig.Options}
		for _, ns := range c.DNSConfig.Nameservers {
			out.DNSConfig.Nameservers = append(out.DNSConfig.Nameservers, ns.String())
		}
	}
	if c.Privileges != nil {
		p, err := privilegesToGRPC(c.Privileges)
		if err != nil {
			return nil, err
		}
		out.Privileges = p
	}
	if c.Configs != nil {
		refs, err := configReferencesToGRPC(c.Configs)
		if err != nil {
			return nil, errdefs.InvalidParameter("invalid Config: %v", err)
		}
		out.Configs = refs
	}
	for _, m := range c.Mounts {
		gm, err := mountToGRPC(m)
		if err != nil {
			return nil, err
		}
		out.Mounts = append(out.Mounts, gm)
	}
	if h := c.Healthcheck; h != nil {
		out.Healthcheck = &swarmapi.HealthConfig{
			Test:          h.Test,
			Interval:      gogotypes.DurationProto(h.Interval),
			Timeout:       gogotypes.DurationProto(h.Timeout),
			StartPeriod:   gogotypes.DurationProto(h.StartPeriod),
			StartInterval: gogotypes.DurationProto(h.StartInterval),
			Retries:       int32(h.Retries),
		}
	}
	for _, u := range c.Ulimits {
		if u == nil {
			continue
		}
		out.Ulimits = append(out.Ulimits, &swarmapi.ContainerSpec_Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	return out, nil
}

// MountFromGRPC converts one swarmkit mount to the Engine API's, which is
// also what the executor hands to container create. Tmpfs options travel
// in swarmkit as a JSON string (see mountToGRPC).
func MountFromGRPC(m swarmapi.Mount) mount.Mount {
	out := mount.Mount{
		Type:     mount.Type(strings.ToLower(swarmapi.Mount_MountType_name[int32(m.Type)])),
		Source:   m.Source,
		Target:   m.Target,
		ReadOnly: m.ReadOnly,
	}
	switch m.Consistency {
	case swarmapi.MountConsistencyFull:
		out.Consistency = mount.ConsistencyFull
	case swarmapi.MountConsistencyCached:
		out.Consistency = mount.ConsistencyCached
	case swarmapi.MountConsistencyDelegated:
		out.Consistency = mount.ConsistencyDelegated
	}
	if b := m.BindOptions; b != nil {
		out.BindOptions = &mount.BindOptions{
			Propagation:            mount.Propagation(strings.ToLower(swarmapi.Mount_BindOptions_MountPropagation_name[int32(b.Propagation)])),
			NonRecursive:           b.NonRecursive,
			CreateMountpoint:       b.CreateMountpoint,
			ReadOnlyNonRecursive:   b.ReadOnlyNonRecursive,
			ReadOnlyForceRecursive: b.ReadOnlyForceRecursive,
		}
	}
	if v := m.VolumeOptions; v != nil {
		out.VolumeOptions = &mount.VolumeOptions{NoCopy: v.NoCopy, Labels: v.Labels, Subpath: v.Subpath}
		if v.DriverConfig != nil {
			out.VolumeOptions.DriverConfig = &mount.Driver{Name: v.DriverConfig.Name, Options: v.DriverConfig.Options}
		}
	}
	if t := m.TmpfsOptions; t != nil {
		out.TmpfsOptions = &mount.TmpfsOptions{SizeBytes: t.SizeBytes, Mode: t.Mode}
		// Unparsable options were not written by mountToGRPC; drop them
		// rather than fail an inspect.
		_ = json.Unmarshal([]byte(t.Options), &out.TmpfsOptions.Options)
	}
	return out
}

func mountToGRPC(m mount.Mount) (swarmapi.Mount, error) {
	out := swarmapi.Mount{Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly}
	if t, ok := swarmapi.Mount_MountType_value[strings.ToUpper(string(m.Type))]; ok {
		out.Type = swarmapi.Mount_MountType(t)
	} else if m.Type != "" {
		return swarmapi.Mount{}, errdefs.InvalidParameter("invalid MountType: %q", m.Type)
	}
	switch m.Consistency {
	case mount.ConsistencyFull:
		out.Consistency = swarmapi.MountConsistencyFull
	case mount.ConsistencyCached:
		out.Consistency = swarmapi.MountConsistencyCached
	case mount.ConsistencyDelegated:
		out.Consistency = swarmapi.MountConsistencyDelegated
	}
	if b := m.BindOptions; b != nil {
		out.BindOptions = &swarmapi.Mount_BindOptions{
			NonRecursive:           b.NonRecursive,
			CreateMountpoint:       b.CreateMountpoint,
			ReadOnlyNonRecursive:   b.ReadOnlyNonRecursive,
			ReadOnlyForceRecursive: b.ReadOnlyForceRecursive,
		}
		if p, ok := swarmapi.Mount_BindOptions_MountPropagation_value[strings.ToUpper(string(b.Propagation))]; ok {
			out.BindOptions.Propagation = swarmapi.Mount_BindOptions_MountPropagation(p)
		} else if b.Propagation != "" {
			return swarmapi.Mount{}, errdefs.InvalidParameter("invalid MountPropagation: %q", b.Propagation)
		}
	}
	if v := m.VolumeOptions; v != nil {
		out.VolumeOptions = &swarmapi.Mount_VolumeOptions{NoCopy: v.NoCopy, Labels: v.Labels, Subpath: v.Subpath}
		if v.DriverConfig != nil {
			out.VolumeOptions.DriverConfig = &swarmapi.Driver{Name: v.DriverConfig.Name, Options: v.DriverConfig.Options}
		}
	}
	if t := m.TmpfsOptions; t != nil {
		// swarmkit keeps tmpfs options as one string where the Engine API
		// has [][]string; dockerd stores the JSON of the list, so must we
		// for a cluster shared with dockerd nodes.
		opts, err := json.Marshal(t.Options)
		if err != nil {
			return swarmapi.Mount{}, errdefs.InvalidParameter("invalid tmpfs options: %v", err)
		}
		out.TmpfsOptions = &swarmapi.Mount_TmpfsOptions{SizeBytes: t.SizeBytes, Mode: t.Mode, Options: string(opts)}
	}
	return out, nil
}

func privilegesFromGRPC(p *swarmapi.Privileges) *types.Privileges {
	if p == nil {
		return nil
	}
	out := &types.Privileges{NoNewPrivileges: p.NoNewPrivileges}
	if cs := p.CredentialSpec; cs != nil {
		out.CredentialSpec = &types.CredentialSpec{Config: cs.GetConfig(), File: cs.GetFile(), Registry: cs.GetRegistry()}
	}
	if s := p.SELinuxContext; s != nil {
		out.SELinuxContext = &types.SELinuxContext{Disable: s.Disable, User: s.User, Role: s.Role, Type: s.Type, Level: s.Level}
	}
	if s := p.Seccomp; s != nil {
		out.Seccomp = &types.SeccompOpts{Profile: s.Profile}
		switch s.Mode {
		case swarmapi.Privileges_SeccompOpts_DEFAULT:
			out.Seccomp.Mode = types.SeccompModeDefault
		case swarmapi.Privileges_SeccompOpts_UNCONFINED:
			out.Seccomp.Mode = types.SeccompModeUnconfined
		case swarmapi.Privileges_SeccompOpts_CUSTOM:
			out.Seccomp.Mode = types.SeccompModeCustom
		}
	}
	if a := p.Apparmor; a != nil {
		out.AppArmor = &types.AppArmorOpts{}
		switch a.Mode {
		case swarmapi.Privileges_AppArmorOpts_DEFAULT:
			out.AppArmor.Mode = types.AppArmorModeDefault
		case swarmapi.Privileges_AppArmorOpts_DISABLED:
			out.AppArmor.Mode = types.AppArmorModeDisabled
		}
	}
	return out
}

// privilegesToGRPC keeps dockerd's leniency: an unknown seccomp or
// AppArmor mode becomes the default one.
func privilegesToGRPC(p *types.Privileges) (*swarmapi.Privileges, error) {
	out := &swarmapi.Privileges{NoNewPrivileges: p.NoNewPrivileges}
	if p.CredentialSpec != nil {
		cs, err := credentialSpecToGRPC(p.CredentialSpec)
		if err != nil {
			return nil, errdefs.InvalidParameter("invalid CredentialSpec: %v", err)
		}
		out.CredentialSpec = cs
	}
	if s := p.SELinuxContext; s != nil {
		out.SELinuxContext = &swarmapi.Privileges_SELinuxContext{Disable: s.Disable, User: s.User, Role: s.Role, Type: s.Type, Level: s.Level}
	}
	if s := p.Seccomp; s != nil {
		out.Seccomp = &swarmapi.Privileges_SeccompOpts{Profile: s.Profile}
		switch s.Mode {
		case types.SeccompModeUnconfined:
			out.Seccomp.Mode = swarmapi.Privileges_SeccompOpts_UNCONFINED
		case types.SeccompModeCustom:
			out.Seccomp.Mode = swarmapi.Privileges_SeccompOpts_CUSTOM
		}
	}
	if a := p.AppArmor; a != nil {
		out.Apparmor = &swarmapi.Privileges_AppArmorOpts{}
		if a.Mode == types.AppArmorModeDisabled {
			out.Apparmor.Mode = swarmapi.Privileges_AppArmorOpts_DISABLED
		}
	}
	return out, nil
}

func credentialSpecToGRPC(c *types.CredentialSpec) (*swarmapi.Privileges_CredentialSpec, error) {
	var set []string
	if c.Config != "" {
		set = append(set, `"config"`)
	}
	if c.File != "" {
		set = append(set, `"file"`)
	}
	if c.Registry != "" {
		set = append(set, `"registry"`)
	}
	switch len(set) {
	case 0:
		return nil, fmt.Errorf(`must either provide "file", "registry", or "config" for credential spec`)
	case 1:
	case 2:
		return nil, fmt.Errorf("cannot specify both %s and %s credential specs", set[0], set[1])
	default:
		return nil, fmt.Errorf("cannot specify both %s, and %s credential specs", strings.Join(set[:len(set)-1], ", "), set[len(set)-1])
	}
	switch {
	case c.Config != "":
		return &swarmapi.Privileges_CredentialSpec{Source: &swarmapi.Privileges_CredentialSpec_Config{Config: c.Config}}, nil
	case c.File != "":
		return &swarmapi.Privileges_CredentialSpec{Source: &swarmapi.Privileges_CredentialSpec_File{File: c.File}}, nil
	default:
		return &swarmapi.Privileges_CredentialSpec{Source: &swarmapi.Privileges_CredentialSpec_Registry{Registry: c.Registry}}, nil
	}
}

// secretReferencesFromGRPC drops references without a file target, as
// dockerd does: the Engine API has no other secret target.
func secretReferencesFromGRPC(in []*swarmapi.SecretReference) []*types.SecretReference {
	var out []*types.SecretReference
	for _, r := range in {
		f := r.GetFile()
		if f == nil {
			continue
		}
		out = append(out, &types.SecretReference{
			SecretID:   r.SecretID,
			SecretName: r.SecretName,
			File:       &types.SecretReferenceFileTarget{Name: f.Name, UID: f.UID, GID: f.GID, Mode: f.Mode},
		})
	}
	return out
}

func secretReferencesToGRPC(in []*types.SecretReference) []*swarmapi.SecretReference {
	var out []*swarmapi.SecretReference
	for _, r := range in {
		if r == nil {
			continue
		}
		ref := &swarmapi.SecretReference{SecretID: r.SecretID, SecretName: r.SecretName}
		if f := r.File; f != nil {
			ref.Target = &swarmapi.SecretReference_File{File: &swarmapi.FileTarget{Name: f.Name, UID: f.UID, GID: f.GID, Mode: f.Mode}}
		}
		out = append(out, ref)
	}
	return out
}

func configReferencesFromGRPC(in []*swarmapi.ConfigReference) []*types.ConfigReference {
	var out []*types.ConfigReference
	for _, r := range in {
		ref := &types.ConfigReference{ConfigID: r.ConfigID, ConfigName: r.ConfigName}
		switch {
		case r.GetRuntime() != nil:
			ref.Runtime = &types.ConfigReferenceRuntimeTarget{}
		case r.GetFile() != nil:
			f := r.GetFile()
			ref.File = &types.ConfigReferenceFileTarget{Name: f.Name, UID: f.UID, GID: f.GID, Mode: f.Mode}
		default:
			continue
		}
		out = append(out, ref)
	}
	return out
}

func configReferencesToGRPC(in []*types.ConfigReference) ([]*swarmapi.ConfigReference, error) {
	out := make([]*swarmapi.ConfigReference, 0, len(in))
	for _, r := range in {
		if r == nil {
			continue
		}
		ref := &swarmapi.ConfigReference{ConfigID: r.ConfigID, ConfigName: r.ConfigName}
		switch {
		case r.Runtime == nil && r.File == nil:
			return nil, fmt.Errorf("either File or Runtime should be set")
		case r.Runtime != nil && r.File != nil:
			return nil, fmt.Errorf("cannot specify both File and Runtime")
		case r.Runtime != nil:
			ref.Target = &swarmapi.ConfigReference_Runtime{Runtime: &swarmapi.RuntimeTarget{}}
		default:
			f := r.File
			ref.Target = &swarmapi.ConfigReference_File{File: &swarmapi.FileTarget{Name: f.Name, UID: f.UID, GID: f.GID, Mode: f.Mode}}
		}
		out = append(out, ref)
	}
	return out, nil
}

func isolationFromGRPC(i swarmapi.ContainerSpec_Isolation) container.Isolation {
	switch i {
	case swarmapi.ContainerIsolationHyperV:
		return container.IsolationHyperV
	case swarmapi.ContainerIsolationProcess:
		return container.IsolationProcess
	case swarmapi.ContainerIsolationDefault:
		return container.IsolationDefault
	}
	return container.IsolationEmpty
}

func isolationToGRPC(i container.Isolation) swarmapi.ContainerSpec_Isolation {
	switch {
	case i.IsHyperV():
		return swarmapi.ContainerIsolationHyperV
	case i.IsProcess():
		return swarmapi.ContainerIsolationProcess
	}
	return swarmapi.ContainerIsolationDefault
}
