package stack

import (
	"cmp"
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/swarm"
)

// Labels docker's stack commands put on every object they create.
const (
	LabelNamespace = "com.docker.stack.namespace"
	LabelImage     = "com.docker.stack.image"
)

const defaultNetwork = "default"

// namespace scopes compose names into a stack ("<stack>_<name>").
type namespace string

func (n namespace) scope(name string) string   { return string(n) + "_" + name }
func (n namespace) descope(name string) string { return strings.TrimPrefix(name, string(n)+"_") }

func addStackLabel(ns namespace, labels map[string]string) map[string]string {
	out := make(map[string]string, len(labels)+1)
	for k, v := range labels {
		out[k] = v
	}
	out[LabelNamespace] = string(ns)
	return out
}

// convertService builds the swarm spec of one compose service; secrets and
// configs are the references already resolved to IDs against the cluster.
func convertService(ns namespace, p *types.Project, s types.ServiceConfig, secrets []*swarm.SecretReference, configs []*swarm.ConfigReference) (swarm.ServiceSpec, error) {
	deploy := s.Deploy
	if deploy == nil {
		deploy = &types.DeployConfig{}
	}
	mode, err := convertDeployMode(deploy.Mode, deploy.Replicas)
	if err != nil {
		return swarm.ServiceSpec{}, err
	}
	mounts, err := convertVolumes(s.Volumes, p.Volumes, ns)
	if err != nil {
		return swarm.ServiceSpec{}, err
	}
	resources, err := convertResources(deploy.Resources)
	if err != nil {
		return swarm.ServiceSpec{}, err
	}
	restart, err := convertRestartPolicy(s.Restart, deploy.RestartPolicy)
	if err != nil {
		return swarm.ServiceSpec{}, err
	}
	health, err := convertHealthcheck(s.HealthCheck)
	if err != nil {
		return swarm.ServiceSpec{}, err
	}
	nets, err := convertServiceNetworks(s.Networks, p.Networks, ns, s.Name)
	if err != nil {
		return swarm.ServiceSpec{}, err
	}
	endpoint, err := convertEndpointSpec(deploy.EndpointMode, s.Ports)
	if err != nil {
		return swarm.ServiceSpec{}, err
	}
	var logDriver *swarm.Driver
	if s.Logging != nil {
		logDriver = &swarm.Driver{Name: s.Logging.Driver, Options: s.Logging.Options}
	}
	var stopGrace *time.Duration
	if s.StopGracePeriod != nil {
		d := time.Duration(*s.StopGracePeriod)
		stopGrace = &d
	}
	capAdd, capDrop := effectiveCaps(s.CapAdd, s.CapDrop)
	spec := swarm.ServiceSpec{
		Annotations: swarm.Annotations{
			Name:   ns.scope(s.Name),
			Labels: addStackLabel(ns, deploy.Labels),
		},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: &swarm.ContainerSpec{
				Image:           s.Image,
				Command:         []string(s.Entrypoint),
				Args:            []string(s.Command),
				Hostname:        s.Hostname,
				Hosts:           convertExtraHosts(s.ExtraHosts),
				DNSConfig:       convertDNSConfig(s.DNS, s.DNSSearch),
				Healthcheck:     health,
				Env:             convertEnvironment(s.Environment),
				Labels:          addStackLabel(ns, s.Labels),
				Dir:             s.WorkingDir,
				User:            s.User,
				Mounts:          mounts,
				StopGracePeriod: stopGrace,
				StopSignal:      s.StopSignal,
				TTY:             s.Tty,
				OpenStdin:       s.StdinOpen,
				Secrets:         secrets,
				Configs:         configs,
				ReadOnly:        s.ReadOnly,
				Privileges:      &swarm.Privileges{},
				Isolation:       container.Isolation(s.Isolation),
				Init:            s.Init,
				Sysctls:         map[string]string(s.Sysctls),
				CapabilityAdd:   capAdd,
				CapabilityDrop:  capDrop,
				Ulimits:         convertUlimits(s.Ulimits),
				OomScoreAdj:     s.OomScoreAdj,
			},
			LogDriver:     logDriver,
			Resources:     resources,
			RestartPolicy: restart,
			Placement: &swarm.Placement{
				Constraints: deploy.Placement.Constraints,
				Preferences: convertPreferences(deploy.Placement.Preferences),
				MaxReplicas: deploy.Placement.MaxReplicas,
			},
			Networks: nets,
		},
		EndpointSpec:   endpoint,
		Mode:           mode,
		UpdateConfig:   convertUpdateConfig(deploy.UpdateConfig),
		RollbackConfig: convertUpdateConfig(deploy.RollbackConfig),
	}
	if len(spec.TaskTemplate.ContainerSpec.Sysctls) == 0 {
		spec.TaskTemplate.ContainerSpec.Sysctls = nil
	}
	spec.Labels[LabelImage] = s.Image
	return spec, nil
}

func convertPreferences(prefs []types.PlacementPreferences) []swarm.PlacementPreference {
	if len(prefs) == 0 {
		return nil
	}
	out := make([]swarm.PlacementPreference, 0, len(prefs))
	for _, p := range prefs {
		out = append(out, swarm.PlacementPreference{Spread: &swarm.SpreadOver{SpreadDescriptor: p.Spread}})
	}
	return out
}

func convertServiceNetworks(svcNets map[string]*types.ServiceNetworkConfig, nets types.Networks, ns namespace, name string) ([]swarm.NetworkAttachmentConfig, error) {
	if len(svcNets) == 0 {
		svcNets = map[string]*types.ServiceNetworkConfig{defaultNetwork: nil}
	}
	out := make([]swarm.NetworkAttachmentConfig, 0, len(svcNets))
	for netName, sn := range svcNets {
		cfg, ok := nets[netName]
		if !ok && netName != defaultNetwork {
			return nil, fmt.Errorf("undefined network %q", netName)
		}
		att := swarm.NetworkAttachmentConfig{Target: ns.scope(netName)}
		if cfg.Name != "" {
			att.Target = cfg.Name
		}
		if sn != nil {
			att.Aliases = slices.Clone(sn.Aliases)
			if len(sn.DriverOpts) > 0 {
				att.DriverOpts = sn.DriverOpts
			}
		}
		// Only user-defined networks take aliases (not host, bridge, none).
		if container.NetworkMode(att.Target).IsUserDefined() {
			att.Aliases = append(att.Aliases, name)
		}
		out = append(out, att)
	}
	slices.SortFunc(out, func(a, b swarm.NetworkAttachmentConfig) int { return cmp.Compare(a.Target, b.Target) })
	return out, nil
}

func convertExtraHosts(hosts types.HostsList) []string {
	names := make([]string, 0, len(hosts))
	for h := range hosts {
		names = append(names, h)
	}
	slices.Sort(names)
	out := make([]string, 0, len(hosts))
	for _, h := range names {
		for _, ip := range hosts[h] {
			// SwarmKit's notation: "IP-address hostname".
			out = append(out, ip+" "+h)
		}
	}
	return out
}

func convertHealthcheck(h *types.HealthCheckConfig) (*container.HealthConfig, error) {
	if h == nil {
		return nil, nil
	}
	if h.Disable {
		if len(h.Test) != 0 {
			return nil, errors.New("test and disable can't be set at the same time")
		}
		return &container.HealthConfig{Test: []string{"NONE"}}, nil
	}
	hc := &container.HealthConfig{Test: []string(h.Test)}
	if h.Timeout != nil {
		hc.Timeout = time.Duration(*h.Timeout)
	}
	if h.Interval != nil {
		hc.Interval = time.Duration(*h.Interval)
	}
	if h.StartPeriod != nil {
		hc.StartPeriod = time.Duration(*h.StartPeriod)
	}
	if h.StartInterval != nil {
		hc.StartInterval = time.Duration(*h.StartInterval)
	}
	if h.Retries != nil {
		hc.Retries = int(*h.Retries)
	}
	return hc, nil
}

// convertRestartPolicy prefers deploy.restart_policy and falls back to the
// service-level restart, as docker does.
func convertRestartPolicy(restart string, rp *types.RestartPolicy) (*swarm.RestartPolicy, error) {
	if rp != nil {
		out := &swarm.RestartPolicy{
			Condition:   swarm.RestartPolicyCondition(rp.Condition),
			MaxAttempts: rp.MaxAttempts,
		}
		if rp.Delay != nil {
			d := time.Duration(*rp.Delay)
			out.Delay = &d
		}
		if rp.Window != nil {
			w := time.Duration(*rp.Window)
			out.Window = &w
		}
		return out, nil
	}
	if restart == "" {
		return nil, nil
	}
	name, count, _ := strings.Cut(restart, ":")
	var max *uint64
	if count != "" {
		n, err := strconv.Atoi(count)
		if err != nil {
			return nil, fmt.Errorf("invalid restart policy format: maximum retry count must be an integer")
		}
		if n < 0 {
			return nil, errors.New("invalid restart policy: maximum retry count cannot be negative")
		}
		if n > 0 {
			u := uint64(n)
			max = &u
		}
	}
	switch name {
	case "no", "":
		return nil, nil
	case "always", "unless-stopped":
		return &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionAny, MaxAttempts: max}, nil
	case "on-failure":
		return &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionOnFailure, MaxAttempts: max}, nil
	}
	return nil, fmt.Errorf("invalid restart policy: unknown policy '%s' (must be one of 'no', 'always', 'on-failure', or 'unless-stopped')", name)
}

func convertUpdateConfig(u *types.UpdateConfig) *swarm.UpdateConfig {
	if u == nil {
		return nil
	}
	var parallel uint64 = 1
	if u.Parallelism != nil {
		parallel = *u.Parallelism
	}
	return &swarm.UpdateConfig{
		Parallelism:     parallel,
		Delay:           time.Duration(u.Delay),
		FailureAction:   swarm.FailureAction(u.FailureAction),
		Monitor:         time.Duration(u.Monitor),
		MaxFailureRatio: u.MaxFailureRatio,
		Order:           swarm.UpdateOrder(u.Order),
	}
}

// parseCPUs turns compose's cpus into nano CPUs exactly as docker's
// opts.ParseCPUs does on the text ("0.1" → 100000000, no float rounding).
func parseCPUs(c types.NanoCPUs) (int64, error) {
	if c == 0 {
		return 0, nil
	}
	text := strconv.FormatFloat(float64(c), 'f', -1, 32)
	r, ok := new(big.Rat).SetString(text)
	if !ok {
		return 0, fmt.Errorf("failed to parse %v as a rational number", text)
	}
	nano := r.Mul(r, big.NewRat(1e9, 1))
	if !nano.IsInt() {
		return 0, errors.New("value is too precise")
	}
	return nano.Num().Int64(), nil
}

func convertResources(r types.Resources) (*swarm.ResourceRequirements, error) {
	out := &swarm.ResourceRequirements{}
	if r.Limits != nil {
		cpus, err := parseCPUs(r.Limits.NanoCPUs)
		if err != nil {
			return nil, err
		}
		out.Limits = &swarm.Limit{NanoCPUs: cpus, MemoryBytes: int64(r.Limits.MemoryBytes), Pids: r.Limits.Pids}
	}
	if r.Reservations != nil {
		cpus, err := parseCPUs(r.Reservations.NanoCPUs)
		if err != nil {
			return nil, err
		}
		var generic []swarm.GenericResource
		for _, g := range r.Reservations.GenericResources {
			var gr swarm.GenericResource
			if g.DiscreteResourceSpec != nil {
				gr.DiscreteResourceSpec = &swarm.DiscreteGenericResource{Kind: g.DiscreteResourceSpec.Kind, Value: g.DiscreteResourceSpec.Value}
			}
			generic = append(generic, gr)
		}
		out.Reservations = &swarm.Resources{NanoCPUs: cpus, MemoryBytes: int64(r.Reservations.MemoryBytes), GenericResources: generic}
	}
	return out, nil
}

func convertEndpointSpec(mode string, ports []types.ServicePortConfig) (*swarm.EndpointSpec, error) {
	pcs := make([]swarm.PortConfig, 0, len(ports))
	for _, p := range ports {
		var published uint64
		if p.Published != "" {
			n, err := strconv.ParseUint(p.Published, 10, 16)
			if err != nil {
				return nil, fmt.Errorf("invalid published port %q: swarm services take one port, not a range", p.Published)
			}
			published = n
		}
		pcs = append(pcs, swarm.PortConfig{
			Name:          p.Name,
			Protocol:      network.IPProtocol(p.Protocol),
			TargetPort:    p.Target,
			PublishedPort: uint32(published),
			PublishMode:   swarm.PortConfigPublishMode(p.Mode),
		})
	}
	slices.SortFunc(pcs, swarm.PortConfig.Compare)
	return &swarm.EndpointSpec{Mode: swarm.ResolutionMode(strings.ToLower(mode)), Ports: pcs}, nil
}

func convertEnvironment(env types.MappingWithEquals) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		if v == nil {
			out = append(out, k)
			continue
		}
		out = append(out, k+"="+*v)
	}
	slices.Sort(out)
	return out
}

func convertDeployMode(mode string, replicas *int) (swarm.ServiceMode, error) {
	var r *uint64
	if replicas != nil {
		if *replicas < 0 {
			return swarm.ServiceMode{}, fmt.Errorf("invalid replicas value %d", *replicas)
		}
		u := uint64(*replicas)
		r = &u
	}
	switch mode {
	case "global-job":
		if r != nil {
			return swarm.ServiceMode{}, errors.New("replicas can only be used with replicated or replicated-job mode")
		}
		return swarm.ServiceMode{GlobalJob: &swarm.GlobalJob{}}, nil
	case "global":
		if r != nil {
			return swarm.ServiceMode{}, errors.New("replicas can only be used with replicated or replicated-job mode")
		}
		return swarm.ServiceMode{Global: &swarm.GlobalService{}}, nil
	case "replicated-job":
		return swarm.ServiceMode{ReplicatedJob: &swarm.ReplicatedJob{MaxConcurrent: r, TotalCompletions: r}}, nil
	case "replicated", "":
		return swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: r}}, nil
	}
	return swarm.ServiceMode{}, fmt.Errorf("unknown mode: %s", mode)
}

func convertDNSConfig(dns, search []string) *swarm.DNSConfig {
	if len(dns) == 0 && len(search) == 0 {
		return nil
	}
	var addrs []netip.Addr
	for _, d := range dns {
		if a, err := netip.ParseAddr(d); err == nil {
			addrs = append(addrs, a)
		}
	}
	return &swarm.DNSConfig{Nameservers: addrs, Search: search}
}

func convertUlimits(u map[string]*types.UlimitsConfig) []*container.Ulimit {
	out := make([]*container.Ulimit, 0, len(u))
	for name, l := range u {
		soft, hard := int64(l.Soft), int64(l.Hard)
		if l.Single != 0 {
			soft, hard = int64(l.Single), int64(l.Single)
		}
		out = append(out, &container.Ulimit{Name: name, Soft: soft, Hard: hard})
	}
	slices.SortFunc(out, func(a, b *container.Ulimit) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// effectiveCaps normalizes capabilities as docker's
// opts.EffectiveCapAddCapDrop: upper case with the CAP_ prefix, "ALL" kept
// as is, and an add of ALL clears the drops it overrides.
func effectiveCaps(add, drop []string) ([]string, []string) {
	norm := func(in []string) []string {
		var out []string
		seen := map[string]bool{}
		for _, c := range in {
			c = strings.ToUpper(strings.TrimSpace(c))
			if c == "" {
				continue
			}
			if c != "ALL" && !strings.HasPrefix(c, "CAP_") {
				c = "CAP_" + c
			}
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
		return out
	}
	a, d := norm(add), norm(drop)
	if slices.Contains(a, "ALL") {
		a = []string{"ALL"}
	}
	if slices.Contains(d, "ALL") {
		d = []string{"ALL"}
	}
	// Adding a capability wins over dropping it.
	d = slices.DeleteFunc(d, func(c string) bool { return slices.Contains(a, c) })
	slices.Sort(a)
	slices.Sort(d)
	if len(a) == 0 {
		a = nil
	}
	if len(d) == 0 {
		d = nil
	}
	return a, d
}

func convertVolumes(vols []types.ServiceVolumeConfig, stackVols types.Volumes, ns namespace) ([]mount.Mount, error) {
	out := make([]mount.Mount, 0, len(vols))
	for _, v := range vols {
		m, err := convertVolume(v, stackVols, ns)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

func convertVolume(v types.ServiceVolumeConfig, stackVols types.Volumes, ns namespace) (mount.Mount, error) {
	m := mount.Mount{
		Type:        mount.Type(v.Type),
		Target:      v.Target,
		ReadOnly:    v.ReadOnly,
		Source:      v.Source,
		Consistency: mount.Consistency(v.Consistency),
	}
	switch v.Type {
	case "volume", "":
		if v.Type == "" {
			m.Type = mount.TypeVolume
		}
		if v.Tmpfs != nil {
			return mount.Mount{}, errors.New("tmpfs options are incompatible with type volume")
		}
		if v.Bind != nil {
			return mount.Mount{}, errors.New("bind options are incompatible with type volume")
		}
		if v.Source == "" {
			return m, nil
		}
		sv, ok := stackVols[v.Source]
		if !ok {
			return mount.Mount{}, fmt.Errorf("undefined volume %q", v.Source)
		}
		m.Source = ns.scope(v.Source)
		if sv.Name != "" {
			m.Source = sv.Name
		}
		m.VolumeOptions = &mount.VolumeOptions{}
		if v.Volume != nil {
			m.VolumeOptions.NoCopy = v.Volume.NoCopy
			m.VolumeOptions.Subpath = v.Volume.Subpath
		}
		if bool(sv.External) {
			return m, nil
		}
		m.VolumeOptions.Labels = addStackLabel(ns, sv.Labels)
		if sv.Driver != "" || sv.DriverOpts != nil {
			m.VolumeOptions.DriverConfig = &mount.Driver{Name: sv.Driver, Options: sv.DriverOpts}
		}
		return m, nil
	case "bind":
		if v.Source == "" {
			return mount.Mount{}, errors.New("invalid bind source, source cannot be empty")
		}
		if v.Volume != nil {
			return mount.Mount{}, errors.New("volume options are incompatible with type bind")
		}
		if v.Tmpfs != nil {
			return mount.Mount{}, errors.New("tmpfs options are incompatible with type bind")
		}
		// compose-go always fills Bind (create_host_path); docker's loader
		// sets it only when the file names bind options.
		if v.Bind != nil && v.Bind.Propagation != "" {
			m.BindOptions = &mount.BindOptions{Propagation: mount.Propagation(v.Bind.Propagation)}
		}
		return m, nil
	case "tmpfs":
		if v.Source != "" {
			return mount.Mount{}, errors.New("invalid tmpfs source, source must be empty")
		}
		if v.Bind != nil {
			return mount.Mount{}, errors.New("bind options are incompatible with type tmpfs")
		}
		if v.Volume != nil {
			return mount.Mount{}, errors.New("volume options are incompatible with type tmpfs")
		}
		if v.Tmpfs != nil {
			m.TmpfsOptions = &mount.TmpfsOptions{SizeBytes: int64(v.Tmpfs.Size)}
		}
		return m, nil
	case "npipe":
		return mount.Mount{}, errors.New("npipe mounts are not supported on linux")
	}
	return mount.Mount{}, errors.New("volume type must be volume, bind, tmpfs, npipe, or cluster")
}

// fileObjectData is the content of a file-based secret or config:
// file, inline content or an environment variable.
func fileObjectData(obj types.FileObjectConfig) ([]byte, error) {
	switch {
	case obj.File != "":
		return os.ReadFile(obj.File)
	case obj.Environment != "":
		v, ok := os.LookupEnv(obj.Environment)
		if !ok {
			return nil, fmt.Errorf("environment variable %q is not set", obj.Environment)
		}
		return []byte(v), nil
	}
	return []byte(obj.Content), nil
}
