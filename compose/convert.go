package compose

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
)

// createSpec is everything POST /containers/create takes for one replica.
type createSpec struct {
	Name       string
	Config     *container.Config
	Host       *container.HostConfig
	Networking *network.NetworkingConfig
	// Extra are the networks connected after create (the engine takes
	// only one endpoint at create on older API versions).
	Extra map[string]*network.EndpointSettings
}

// resolver names the containers of other services (for network_mode,
// volumes_from and links): it returns the first replica's name.
type resolver func(service string) (string, error)

// ImageName is the image a service runs: its image key, or the name
// Compose gives a built image (<project>-<service>).
func ImageName(project string, s types.ServiceConfig) string {
	if s.Image != "" {
		return s.Image
	}
	return project + Separator + s.Name
}

// toCreate converts replica number of service s.
func toCreate(p *types.Project, s types.ServiceConfig, number int, name string, hash string, oneoff bool, resolve resolver) (createSpec, error) {
	labels := map[string]string{}
	for k, v := range s.Labels {
		labels[k] = v
	}
	for k, v := range s.CustomLabels {
		labels[k] = v
	}
	labels[ConfigHashLabel] = hash
	labels[ContainerNumberLabel] = strconv.Itoa(number)
	labels[DependenciesLabel] = dependsOnLabel(s)
	if oneoff {
		labels[OneoffLabel] = "True"
	}

	cfg := &container.Config{
		Hostname:     s.Hostname,
		Domainname:   s.DomainName,
		User:         s.User,
		Tty:          s.Tty,
		OpenStdin:    s.StdinOpen,
		AttachStdin:  false,
		AttachStdout: true,
		AttachStderr: true,
		Env:          envList(s.Environment),
		Cmd:          nilIfNone(s.Command),
		Entrypoint:   nilIfNone(s.Entrypoint),
		Image:        ImageName(p.Name, s),
		WorkingDir:   s.WorkingDir,
		Labels:       labels,
		StopSignal:   s.StopSignal,
	}
	if s.StopGracePeriod != nil {
		t := int(time.Duration(*s.StopGracePeriod).Seconds())
		cfg.StopTimeout = &t
	}
	if hc := healthcheck(s.HealthCheck); hc != nil {
		cfg.Healthcheck = hc
	}
	exposed, bindings, err := ports(s)
	if err != nil {
		return createSpec{}, err
	}
	cfg.ExposedPorts = exposed

	hc := &container.HostConfig{
		PortBindings:   bindings,
		RestartPolicy:  restartPolicy(s),
		Init:           s.Init,
		Privileged:     s.Privileged,
		CapAdd:         s.CapAdd,
		CapDrop:        s.CapDrop,
		DNSOptions:     s.DNSOpts,
		DNSSearch:      s.DNSSearch,
		ExtraHosts:     s.ExtraHosts.AsList(":"),
		GroupAdd:       s.GroupAdd,
		IpcMode:        container.IpcMode(s.Ipc),
		PidMode:        container.PidMode(s.Pid),
		UTSMode:        container.UTSMode(s.Uts),
		UsernsMode:     container.UsernsMode(s.UserNSMode),
		ReadonlyRootfs: s.ReadOnly,
		SecurityOpt:    s.SecurityOpt,
		ShmSize:        int64(s.ShmSize),
		Sysctls:        s.Sysctls,
		Runtime:        s.Runtime,
		OomScoreAdj:    int(s.OomScoreAdj),
		StorageOpt:     s.StorageOpt,
		Annotations:    s.Annotations,
		Resources:      resources(s),
		Umask:          s.Umask,
	}
	for _, d := range s.DNS {
		a, err := netip.ParseAddr(d)
		if err != nil {
			return createSpec{}, fmt.Errorf("service %q: invalid dns %q", s.Name, d)
		}
		hc.DNS = append(hc.DNS, a)
	}
	if s.Logging != nil {
		hc.LogConfig = container.LogConfig{Type: s.Logging.Driver, Config: s.Logging.Options}
	} else if s.LogDriver != "" {
		hc.LogConfig = container.LogConfig{Type: s.LogDriver, Config: s.LogOpt}
	}
	if len(s.Tmpfs) > 0 {
		hc.Tmpfs = map[string]string{}
		for _, t := range s.Tmpfs {
			path, opts, _ := strings.Cut(t, ":")
			hc.Tmpfs[path] = opts
		}
	}
	binds, mounts, err := volumeMounts(p, s)
	if err != nil {
		return createSpec{}, err
	}
	hc.Binds, hc.Mounts = binds, mounts
	for _, vf := range s.VolumesFrom {
		if svc, ok := strings.CutPrefix(vf, "service:"); ok || !strings.HasPrefix(vf, "container:") {
			if !ok {
				svc = vf
			}
			src, mode, _ := strings.Cut(svc, ":")
			if _, isSvc := p.Services[src]; isSvc {
				n, err := resolve(src)
				if err != nil {
					return createSpec{}, err
				}
				src = n
			}
			if mode != "" {
				src += ":" + mode
			}
			hc.VolumesFrom = append(hc.VolumesFrom, src)
			continue
		}
		hc.VolumesFrom = append(hc.VolumesFrom, strings.TrimPrefix(vf, "container:"))
	}
	for _, l := range s.Links {
		svc, alias, _ := strings.Cut(l, ":")
		if alias == "" {
			alias = svc
		}
		n, err := resolve(svc)
		if err != nil {
			return createSpec{}, err
		}
		hc.Links = append(hc.Links, n+":"+alias)
	}
	hc.Links = append(hc.Links, s.ExternalLinks...)

	spec := createSpec{Name: name, Config: cfg, Host: hc}
	if err := networking(p, s, &spec, resolve); err != nil {
		return createSpec{}, err
	}
	return spec, nil
}

// dependsOnLabel records dependencies as Compose does:
// service:condition:restart, comma separated, sorted.
func dependsOnLabel(s types.ServiceConfig) string {
	var deps []string
	for name, d := range s.DependsOn {
		cond := d.Condition
		if cond == "" {
			cond = types.ServiceConditionStarted
		}
		deps = append(deps, fmt.Sprintf("%s:%s:%t", name, cond, d.Restart))
	}
	sort.Strings(deps)
	return strings.Join(deps, ",")
}

// nilIfNone keeps the image's command when the file sets none.
func nilIfNone(c types.ShellCommand) []string {
	if c == nil {
		return nil
	}
	return []string(c)
}

func envList(m types.MappingWithEquals) []string {
	var out []string
	for k, v := range m {
		if v == nil {
			continue // unset and not resolvable: Compose leaves it out
		}
		out = append(out, k+"="+*v)
	}
	sort.Strings(out)
	return out
}

func healthcheck(h *types.HealthCheckConfig) *container.HealthConfig {
	if h == nil {
		return nil
	}
	if h.Disable {
		return &container.HealthConfig{Test: []string{"NONE"}}
	}
	hc := &container.HealthConfig{Test: h.Test}
	if h.Interval != nil {
		hc.Interval = time.Duration(*h.Interval)
	}
	if h.Timeout != nil {
		hc.Timeout = time.Duration(*h.Timeout)
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
	return hc
}

func restartPolicy(s types.ServiceConfig) container.RestartPolicy {
	if s.Restart != "" {
		name, count, _ := strings.Cut(s.Restart, ":")
		n, _ := strconv.Atoi(count)
		return container.RestartPolicy{Name: container.RestartPolicyMode(name), MaximumRetryCount: n}
	}
	if s.Deploy != nil && s.Deploy.RestartPolicy != nil {
		rp := s.Deploy.RestartPolicy
		var attempts int
		if rp.MaxAttempts != nil {
			attempts = int(*rp.MaxAttempts)
		}
		switch rp.Condition {
		case "none":
			return container.RestartPolicy{Name: container.RestartPolicyDisabled}
		case "on-failure":
			return container.RestartPolicy{Name: container.RestartPolicyOnFailure, MaximumRetryCount: attempts}
		case "any", "":
			return container.RestartPolicy{Name: container.RestartPolicyAlways}
		}
	}
	return container.RestartPolicy{}
}

// resources merges the top-level keys with deploy.resources, which wins as
// in Compose (a single host honours limits and memory reservations).
func resources(s types.ServiceConfig) container.Resources {
	r := container.Resources{
		CPUShares:          s.CPUShares,
		Memory:             int64(s.MemLimit),
		MemoryReservation:  int64(s.MemReservation),
		MemorySwap:         int64(s.MemSwapLimit),
		NanoCPUs:           int64(s.CPUS * 1e9),
		CPUPeriod:          s.CPUPeriod,
		CPUQuota:           s.CPUQuota,
		CPURealtimePeriod:  s.CPURTPeriod,
		CPURealtimeRuntime: s.CPURTRuntime,
		CpusetCpus:         s.CPUSet,
		CgroupParent:       s.CgroupParent,
		DeviceCgroupRules:  s.DeviceCgroupRules,
	}
	if s.PidsLimit != 0 {
		v := s.PidsLimit
		r.PidsLimit = &v
	}
	if s.MemSwappiness != 0 {
		v := int64(s.MemSwappiness)
		r.MemorySwappiness = &v
	}
	if s.OomKillDisable {
		v := true
		r.OomKillDisable = &v
	}
	for _, d := range s.Devices {
		perm := d.Permissions
		if perm == "" {
			perm = "rwm"
		}
		target := d.Target
		if target == "" {
			target = d.Source
		}
		r.Devices = append(r.Devices, container.DeviceMapping{PathOnHost: d.Source, PathInContainer: target, CgroupPermissions: perm})
	}
	var names []string
	for n := range s.Ulimits {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		u := s.Ulimits[n]
		soft, hard := int64(u.Soft), int64(u.Hard)
		if u.Single != 0 {
			soft, hard = int64(u.Single), int64(u.Single)
		}
		r.Ulimits = append(r.Ulimits, &units.Ulimit{Name: n, Soft: soft, Hard: hard})
	}
	if s.Deploy != nil {
		if l := s.Deploy.Resources.Limits; l != nil {
			if l.NanoCPUs != 0 {
				r.NanoCPUs = int64(l.NanoCPUs.Value() * 1e9)
			}
			if l.MemoryBytes != 0 {
				r.Memory = int64(l.MemoryBytes)
			}
			if l.Pids != 0 {
				v := l.Pids
				r.PidsLimit = &v
			}
		}
		if rs := s.Deploy.Resources.Reservations; rs != nil && rs.MemoryBytes != 0 {
			r.MemoryReservation = int64(rs.MemoryBytes)
		}
	}
	return r
}

// ports turns ports and expose into the exposed set and the bindings.
func ports(s types.ServiceConfig) (network.PortSet, network.PortMap, error) {
	exposed := network.PortSet{}
	bindings := network.PortMap{}
	for _, pc := range s.Ports {
		proto := pc.Protocol
		if proto == "" {
			proto = "tcp"
		}
		port, err := network.ParsePort(fmt.Sprintf("%d/%s", pc.Target, proto))
		if err != nil {
			return nil, nil, fmt.Errorf("service %q: %w", s.Name, err)
		}
		exposed[port] = struct{}{}
		b := network.PortBinding{HostPort: pc.Published}
		if pc.HostIP != "" {
			ip, err := netip.ParseAddr(pc.HostIP)
			if err != nil {
				return nil, nil, fmt.Errorf("service %q: invalid host IP %q", s.Name, pc.HostIP)
			}
			b.HostIP = ip
		}
		bindings[port] = append(bindings[port], b)
	}
	for _, e := range s.Expose {
		num, proto, _ := strings.Cut(e, "/")
		if proto == "" {
			proto = "tcp"
		}
		lo, hi, isRange := strings.Cut(num, "-")
		start, err := strconv.Atoi(lo)
		if err != nil {
			return nil, nil, fmt.Errorf("service %q: invalid expose %q", s.Name, e)
		}
		end := start
		if isRange {
			if end, err = strconv.Atoi(hi); err != nil || end < start {
				return nil, nil, fmt.Errorf("service %q: invalid expose %q", s.Name, e)
			}
		}
		for n := start; n <= end; n++ {
			port, err := network.ParsePort(fmt.Sprintf("%d/%s", n, proto))
			if err != nil {
				return nil, nil, fmt.Errorf("service %q: %w", s.Name, err)
			}
			exposed[port] = struct{}{}
		}
	}
	if len(bindings) == 0 {
		bindings = nil
	}
	if len(exposed) == 0 {
		exposed = nil
	}
	return exposed, bindings, nil
}

// volumeMounts maps the service's volumes, configs and secrets. Binds go
// through the legacy Binds list, which creates a missing host directory as
// Compose's create_host_path default expects; the rest are Mounts.
func volumeMounts(p *types.Project, s types.ServiceConfig) ([]string, []mount.Mount, error) {
	var binds []string
	var mounts []mount.Mount
	for _, v := range s.Volumes {
		switch v.Type {
		case types.VolumeTypeBind:
			createPath := v.Bind == nil || bool(v.Bind.CreateHostPath) || v.Bind.CreateHostPath.IsZero()
			if createPath && (v.Bind == nil || v.Bind.Recursive == "") {
				opts := []string{}
				if v.ReadOnly {
					opts = append(opts, "ro")
				}
				if v.Bind != nil && v.Bind.Propagation != "" {
					opts = append(opts, v.Bind.Propagation)
				}
				if v.Bind != nil && v.Bind.SELinux != "" {
					opts = append(opts, v.Bind.SELinux)
				}
				b := v.Source + ":" + v.Target
				if len(opts) > 0 {
					b += ":" + strings.Join(opts, ",")
				}
				binds = append(binds, b)
				continue
			}
			m := mount.Mount{Type: mount.TypeBind, Source: v.Source, Target: v.Target, ReadOnly: v.ReadOnly}
			if v.Bind != nil && v.Bind.Propagation != "" {
				m.BindOptions = &mount.BindOptions{Propagation: mount.Propagation(v.Bind.Propagation)}
			}
			mounts = append(mounts, m)
		case types.VolumeTypeVolume:
			m := mount.Mount{Type: mount.TypeVolume, Target: v.Target, ReadOnly: v.ReadOnly}
			if v.Source != "" {
				vol, ok := p.Volumes[v.Source]
				if !ok {
					return nil, nil, fmt.Errorf("service %q refers to undefined volume %s: invalid compose project", s.Name, v.Source)
				}
				m.Source = vol.Name
			}
			if v.Volume != nil {
				m.VolumeOptions = &mount.VolumeOptions{NoCopy: v.Volume.NoCopy, Labels: v.Volume.Labels, Subpath: v.Volume.Subpath}
			}
			mounts = append(mounts, m)
		case types.VolumeTypeTmpfs:
			m := mount.Mount{Type: mount.TypeTmpfs, Target: v.Target, ReadOnly: v.ReadOnly}
			if v.Tmpfs != nil {
				m.TmpfsOptions = &mount.TmpfsOptions{SizeBytes: int64(v.Tmpfs.Size)}
				if v.Tmpfs.Mode != 0 {
					m.TmpfsOptions.Mode = 0o777 & os.FileMode(v.Tmpfs.Mode)
				}
			}
			mounts = append(mounts, m)
		default:
			return nil, nil, fmt.Errorf("service %q: volume type %q: not implemented", s.Name, v.Type)
		}
	}
	for _, c := range s.Configs {
		cfg, ok := p.Configs[c.Source]
		if !ok {
			return nil, nil, fmt.Errorf("service %q refers to undefined config %s: invalid compose project", s.Name, c.Source)
		}
		if cfg.File == "" {
			continue // content and environment configs are copied in after create
		}
		target := c.Target
		if target == "" {
			target = "/" + c.Source
		} else if !filepath.IsAbs(target) {
			target = "/" + target
		}
		mounts = append(mounts, mount.Mount{Type: mount.TypeBind, Source: cfg.File, Target: target, ReadOnly: true})
	}
	for _, sc := range s.Secrets {
		sec, ok := p.Secrets[sc.Source]
		if !ok {
			return nil, nil, fmt.Errorf("service %q refers to undefined secret %s: invalid compose project", s.Name, sc.Source)
		}
		if sec.File == "" {
			continue
		}
		mounts = append(mounts, mount.Mount{Type: mount.TypeBind, Source: sec.File, Target: secretTarget(sc), ReadOnly: true})
	}
	return binds, mounts, nil
}

func secretTarget(sc types.ServiceSecretConfig) string {
	t := sc.Target
	if t == "" {
		t = sc.Source
	}
	if !filepath.IsAbs(t) {
		t = "/run/secrets/" + t
	}
	return t
}

// networking sets the network mode and the endpoints: the service name
// and its aliases are DNS names on every project network it joins.
func networking(p *types.Project, s types.ServiceConfig, spec *createSpec, resolve resolver) error {
	switch mode := s.NetworkMode; {
	case mode == "":
	case strings.HasPrefix(mode, "service:"):
		n, err := resolve(strings.TrimPrefix(mode, "service:"))
		if err != nil {
			return err
		}
		spec.Host.NetworkMode = container.NetworkMode("container:" + n)
		return nil
	default:
		spec.Host.NetworkMode = container.NetworkMode(mode)
		return nil
	}
	keys := s.NetworksByPriority()
	if len(keys) == 0 {
		return nil
	}
	for i, key := range keys {
		nw, ok := p.Networks[key]
		if !ok {
			return fmt.Errorf("service %q refers to undefined network %s: invalid compose project", s.Name, key)
		}
		ep := &network.EndpointSettings{Aliases: []string{s.Name}}
		if c := s.Networks[key]; c != nil {
			if c.UseServiceNameAlias != nil && !*c.UseServiceNameAlias {
				ep.Aliases = nil
			}
			ep.Aliases = append(ep.Aliases, c.Aliases...)
			ep.DriverOpts = c.DriverOpts
			ep.GwPriority = c.GatewayPriority
			if c.Ipv4Address != "" || c.Ipv6Address != "" {
				ep.IPAMConfig = &network.EndpointIPAMConfig{}
				if c.Ipv4Address != "" {
					a, err := netip.ParseAddr(c.Ipv4Address)
					if err != nil {
						return fmt.Errorf("service %q: invalid ipv4_address %q", s.Name, c.Ipv4Address)
					}
					ep.IPAMConfig.IPv4Address = a
				}
				if c.Ipv6Address != "" {
					a, err := netip.ParseAddr(c.Ipv6Address)
					if err != nil {
						return fmt.Errorf("service %q: invalid ipv6_address %q", s.Name, c.Ipv6Address)
					}
					ep.IPAMConfig.IPv6Address = a
				}
			}
		}
		if i == 0 {
			spec.Host.NetworkMode = container.NetworkMode(nw.Name)
			spec.Networking = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{nw.Name: ep}}
			continue
		}
		if spec.Extra == nil {
			spec.Extra = map[string]*network.EndpointSettings{}
		}
		spec.Extra[nw.Name] = ep
	}
	return nil
}
