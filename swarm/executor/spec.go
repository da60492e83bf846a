package executor

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	gogotypes "github.com/gogo/protobuf/types"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/swarmkit/v2/api"
	"golang.org/x/sys/unix"
)

// Labels dockerd puts on task containers; `docker ps` filters and other
// tools rely on them.
const (
	LabelServiceID   = "com.docker.swarm.service.id"
	LabelServiceName = "com.docker.swarm.service.name"
	LabelTaskID      = "com.docker.swarm.task.id"
	LabelTaskName    = "com.docker.swarm.task.name"
	LabelTask        = "com.docker.swarm.task"
	LabelNodeID      = "com.docker.swarm.node.id"
)

// containerName is dockerd's task container name: <service>.<slot>.<task>
// for replicated tasks, <service>.<node>.<task> for global ones.
func containerName(t *api.Task) string {
	svc := t.ServiceAnnotations.Name
	if svc == "" {
		svc = t.ServiceID
	}
	if t.Slot != 0 {
		return fmt.Sprintf("%s.%d.%s", svc, t.Slot, t.ID)
	}
	return fmt.Sprintf("%s.%s.%s", svc, t.NodeID, t.ID)
}

// createRequest turns a task's container spec into a container create
// request. Restart is left to swarmkit's orchestrator (policy "no").
func createRequest(t *api.Task, extraMounts []mount.Mount) *container.CreateRequest {
	c := t.Spec.GetContainer()
	labels := map[string]string{}
	for k, v := range c.Labels {
		labels[k] = v
	}
	labels[LabelServiceID] = t.ServiceID
	labels[LabelServiceName] = t.ServiceAnnotations.Name
	labels[LabelTaskID] = t.ID
	labels[LabelTaskName] = containerName(t)
	labels[LabelTask] = ""
	labels[LabelNodeID] = t.NodeID

	cfg := &container.Config{
		Image:      c.Image,
		Hostname:   c.Hostname,
		Env:        c.Env,
		WorkingDir: c.Dir,
		User:       c.User,
		Tty:        c.TTY,
		OpenStdin:  c.OpenStdin,
		StopSignal: c.StopSignal,
		Labels:     labels,
	}
	if len(c.Command) > 0 {
		cfg.Entrypoint = c.Command
	}
	if len(c.Args) > 0 {
		cfg.Cmd = c.Args
	}
	if c.StopGracePeriod != nil {
		if d, err := gogotypes.DurationFromProto(c.StopGracePeriod); err == nil {
			s := int(d / time.Second)
			cfg.StopTimeout = &s
		}
	}
	if hc := c.Healthcheck; hc != nil {
		cfg.Healthcheck = &container.HealthConfig{
			Test:          hc.Test,
			Interval:      duration(hc.Interval),
			Timeout:       duration(hc.Timeout),
			StartPeriod:   duration(hc.StartPeriod),
			StartInterval: duration(hc.StartInterval),
			Retries:       int(hc.Retries),
		}
	}

	hc := &container.HostConfig{
		RestartPolicy:  container.RestartPolicy{Name: container.RestartPolicyDisabled},
		ReadonlyRootfs: c.ReadOnly,
		GroupAdd:       c.Groups,
		CapAdd:         c.CapabilityAdd,
		CapDrop:        c.CapabilityDrop,
		Sysctls:        c.Sysctls,
		OomScoreAdj:    int(c.OomScoreAdj),
	}
	if c.Init != nil {
		v := c.Init.Value
		hc.Init = &v
	}
	for _, h := range c.Hosts {
		// swarmkit keeps "IP host..." (hosts-file order); the engine wants host:IP.
		if f := strings.Fields(h); len(f) >= 2 {
			for _, name := range f[1:] {
				hc.ExtraHosts = append(hc.ExtraHosts, name+":"+f[0])
			}
		}
	}
	if d := c.DNSConfig; d != nil {
		for _, ns := range d.Nameservers {
			if a, err := netip.ParseAddr(ns); err == nil {
				hc.DNS = append(hc.DNS, a)
			}
		}
		hc.DNSSearch = d.Search
		hc.DNSOptions = d.Options
	}
	for _, u := range c.Ulimits {
		hc.Ulimits = append(hc.Ulimits, &container.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	if r := t.Spec.Resources; r != nil {
		if l := r.Limits; l != nil {
			hc.NanoCPUs = l.NanoCPUs
			hc.Memory = l.MemoryBytes
		}
		if rs := r.Reservations; rs != nil {
			hc.MemoryReservation = rs.MemoryBytes
		}
	}
	if c.PidsLimit > 0 {
		p := c.PidsLimit
		hc.PidsLimit = &p
	}
	if ld := t.Spec.LogDriver; ld != nil && ld.Name != "" {
		hc.LogConfig = container.LogConfig{Type: ld.Name, Config: ld.Options}
	}
	for _, m := range c.Mounts {
		hc.Mounts = append(hc.Mounts, engineMount(m))
	}
	hc.Mounts = append(hc.Mounts, extraMounts...)
	hc.PortBindings, cfg.ExposedPorts = hostPorts(t)
	nc := &network.NetworkingConfig{}
	// The task's allocated overlay networks, its first one primary; the
	// service name, its aliases and tasks.<name> resolve through the
	// cluster's records (network.SetOverlayServices), not endpoint aliases.
	if atts := overlayAttachments(t); len(atts) > 0 {
		if !atts[0].ingress {
			hc.NetworkMode = container.NetworkMode(atts[0].net.ID)
		}
		nc.EndpointsConfig = endpoints(atts)
	}
	return &container.CreateRequest{Config: cfg, HostConfig: hc, NetworkingConfig: nc}
}

func duration(d *gogotypes.Duration) time.Duration {
	if d == nil {
		return 0
	}
	v, _ := gogotypes.DurationFromProto(d)
	return v
}

func engineMount(m api.Mount) mount.Mount {
	out := mount.Mount{Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly}
	switch m.Type {
	case api.MountTypeBind:
		out.Type = mount.TypeBind
		if b := m.BindOptions; b != nil {
			out.BindOptions = &mount.BindOptions{Propagation: mount.Propagation(strings.ToLower(b.Propagation.String())), NonRecursive: b.NonRecursive}
		}
	case api.MountTypeVolume:
		out.Type = mount.TypeVolume
		if v := m.VolumeOptions; v != nil {
			out.VolumeOptions = &mount.VolumeOptions{NoCopy: v.NoCopy, Labels: v.Labels}
			if v.DriverConfig != nil {
				out.VolumeOptions.DriverConfig = &mount.Driver{Name: v.DriverConfig.Name, Options: v.DriverConfig.Options}
			}
		}
	case api.MountTypeTmpfs:
		out.Type = mount.TypeTmpfs
		if o := m.TmpfsOptions; o != nil {
			out.TmpfsOptions = &mount.TmpfsOptions{SizeBytes: o.SizeBytes, Mode: o.Mode}
		}
	case api.MountTypeNamedPipe:
		out.Type = mount.TypeNamedPipe
	}
	return out
}

// hostPorts publishes the task's host-mode ports on this node (a
// published port of 0 takes a free one); ingress ports go through the
// node's ingress load balancer instead (ingressPorts).
func hostPorts(t *api.Task) (network.PortMap, network.PortSet) {
	ports := endpointPorts(t)
	if len(ports) == 0 {
		return nil, nil
	}
	pm := network.PortMap{}
	ps := network.PortSet{}
	for _, p := range ports {
		proto := strings.ToLower(p.Protocol.String())
		port, err := network.ParsePort(fmt.Sprintf("%d/%s", p.TargetPort, proto))
		if err != nil {
			continue
		}
		ps[port] = struct{}{}
		if p.PublishMode != api.PublishModeHost {
			continue
		}
		b := network.PortBinding{}
		if p.PublishedPort != 0 {
			b.HostPort = fmt.Sprint(p.PublishedPort)
		}
		pm[port] = append(pm[port], b)
	}
	return pm, ps
}

// endpointPorts are the task's published ports: the allocated ones, or
// the spec's when the task's copy of the endpoint was taken before the
// allocation filled them in (ports given explicitly are the same).
func endpointPorts(t *api.Task) []*api.PortConfig {
	if t.Endpoint == nil {
		return nil
	}
	if len(t.Endpoint.Ports) > 0 {
		return t.Endpoint.Ports
	}
	if t.Endpoint.Spec != nil {
		return t.Endpoint.Spec.Ports
	}
	return nil
}

// ingressPorts are the task's ports published through the routing mesh.
func ingressPorts(t *api.Task) []IngressPort {
	var out []IngressPort
	for _, p := range endpointPorts(t) {
		if p.PublishMode != api.PublishModeIngress || p.PublishedPort == 0 {
			continue
		}
		out = append(out, IngressPort{Proto: strings.ToLower(p.Protocol.String()), Published: uint16(p.PublishedPort), Target: uint16(p.TargetPort)})
	}
	return out
}

func memTotal() int64 {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return 0
	}
	return int64(si.Totalram) * int64(si.Unit)
}
