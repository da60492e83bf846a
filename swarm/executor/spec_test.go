package executor

import (
	"testing"
	"time"

	gogotypes "github.com/gogo/protobuf/types"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/swarmkit/v2/api"
)

func task(c *api.ContainerSpec, mutate func(*api.Task)) *api.Task {
	t := &api.Task{
		ID: "tid", ServiceID: "sid", NodeID: "nid", Slot: 2,
		ServiceAnnotations: api.Annotations{Name: "web"},
		Spec:               api.TaskSpec{Runtime: &api.TaskSpec_Container{Container: c}},
	}
	if mutate != nil {
		mutate(t)
	}
	return t
}

func TestContainerName(t *testing.T) {
	for _, tc := range []struct {
		t    *api.Task
		want string
	}{
		{task(&api.ContainerSpec{}, nil), "web.2.tid"},
		{task(&api.ContainerSpec{}, func(t *api.Task) { t.Slot = 0 }), "web.nid.tid"},
	} {
		if got := containerName(tc.t); got != tc.want {
			t.Errorf("got %q want %q", got, tc.want)
		}
	}
}

func TestCreateRequest(t *testing.T) {
	grace := gogotypes.DurationProto(3 * time.Second)
	tk := task(&api.ContainerSpec{
		Image:           "busybox:latest",
		Command:         []string{"sh", "-c"},
		Args:            []string{"sleep 1d"},
		Env:             []string{"A=1"},
		Dir:             "/work",
		User:            "1000",
		Labels:          map[string]string{"app": "x"},
		StopGracePeriod: grace,
		Hosts:           []string{"10.0.0.1 db db.local"},
		Init:            &gogotypes.BoolValue{Value: true},
		Mounts:          []api.Mount{{Type: api.MountTypeVolume, Source: "data", Target: "/data"}, {Type: api.MountTypeTmpfs, Target: "/tmp", TmpfsOptions: &api.Mount_TmpfsOptions{SizeBytes: 1 << 20}}},
		Healthcheck:     &api.HealthConfig{Test: []string{"CMD", "true"}, Interval: gogotypes.DurationProto(time.Second), Retries: 3},
	}, func(t *api.Task) {
		t.Spec.Resources = &api.ResourceRequirements{Limits: &api.Resources{NanoCPUs: 5e8, MemoryBytes: 64 << 20}}
		t.Endpoint = &api.Endpoint{Ports: []*api.PortConfig{
			{Protocol: api.ProtocolTCP, TargetPort: 80, PublishedPort: 8080, PublishMode: api.PublishModeHost},
			{Protocol: api.ProtocolUDP, TargetPort: 53, PublishedPort: 30053, PublishMode: api.PublishModeIngress},
		}}
	})
	req := createRequest(tk, []mount.Mount{{Type: mount.TypeBind, Source: "/s", Target: "/run/secrets/x", ReadOnly: true}})
	c, h := req.Config, req.HostConfig
	if c.Image != "busybox:latest" || c.Entrypoint[0] != "sh" || c.Cmd[0] != "sleep 1d" || c.WorkingDir != "/work" || c.User != "1000" {
		t.Errorf("config: %+v", c)
	}
	for k, v := range map[string]string{"app": "x", LabelServiceID: "sid", LabelServiceName: "web", LabelTaskID: "tid", LabelNodeID: "nid", LabelTaskName: "web.2.tid"} {
		if c.Labels[k] != v {
			t.Errorf("label %s=%q want %q", k, c.Labels[k], v)
		}
	}
	if c.StopTimeout == nil || *c.StopTimeout != 3 {
		t.Errorf("stop timeout %v", c.StopTimeout)
	}
	if c.Healthcheck == nil || c.Healthcheck.Interval != time.Second || c.Healthcheck.Retries != 3 {
		t.Errorf("healthcheck %+v", c.Healthcheck)
	}
	if h.RestartPolicy.Name != container.RestartPolicyDisabled {
		t.Errorf("restart policy %q: swarm restarts tasks itself", h.RestartPolicy.Name)
	}
	if h.NanoCPUs != 5e8 || h.Memory != 64<<20 {
		t.Errorf("resources %d %d", h.NanoCPUs, h.Memory)
	}
	if len(h.ExtraHosts) != 2 || h.ExtraHosts[0] != "db:10.0.0.1" || h.ExtraHosts[1] != "db.local:10.0.0.1" {
		t.Errorf("extra hosts %v", h.ExtraHosts)
	}
	if h.Init == nil || !*h.Init {
		t.Errorf("init %v", h.Init)
	}
	if len(h.Mounts) != 3 || h.Mounts[0].Type != mount.TypeVolume || h.Mounts[1].TmpfsOptions.SizeBytes != 1<<20 || h.Mounts[2].Target != "/run/secrets/x" {
		t.Errorf("mounts %+v", h.Mounts)
	}
	if len(h.PortBindings) != 1 {
		t.Errorf("only the host-mode port is bound on the container: %v", h.PortBindings)
	}
	for p, b := range h.PortBindings {
		if p.String() != "80/tcp" || b[0].HostPort != "8080" {
			t.Errorf("port binding %s %v", p, b)
		}
	}
	if len(c.ExposedPorts) != 2 {
		t.Errorf("exposed %v", c.ExposedPorts)
	}
	ing := ingressPorts(tk)
	if len(ing) != 1 || ing[0] != (IngressPort{Proto: "udp", Published: 30053, Target: 53}) {
		t.Errorf("ingress ports %v", ing)
	}
}
