package convert

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"
)

// richSpec sets every field the conversion carries, in the normalised
// form a read-back gives (Runtime and Isolation spelled out, BindOptions
// with a propagation), so spec -> grpc -> spec must be the identity.
func richSpec() types.ServiceSpec {
	return types.ServiceSpec{
		Annotations: types.Annotations{Name: "web", Labels: map[string]string{"com.docker.stack.namespace": "getstartedlab"}},
		TaskTemplate: types.TaskSpec{
			ContainerSpec: &types.ContainerSpec{
				Image:    "registry.local:5000/friendlyhello:v2@sha256:" + strings.Repeat("a", 64),
				Labels:   map[string]string{"tier": "front"},
				Command:  []string{"python"},
				Args:     []string{"app.py", "--debug"},
				Hostname: "{{.Service.Name}}-{{.Task.Slot}}",
				Env:      []string{"NAME=World", "EMPTY="},
				Dir:      "/app",
				User:     "1000:1000",
				Groups:   []string{"audio", "video"},
				Privileges: &types.Privileges{
					CredentialSpec:  &types.CredentialSpec{Registry: "cred"},
					SELinuxContext:  &types.SELinuxContext{User: "u", Role: "r", Type: "t", Level: "s0"},
					Seccomp:         &types.SeccompOpts{Mode: types.SeccompModeCustom, Profile: []byte(`{"defaultAction":"SCMP_ACT_ALLOW"}`)},
					AppArmor:        &types.AppArmorOpts{Mode: types.AppArmorModeDisabled},
					NoNewPrivileges: true,
				},
				Init:       ptr(true),
				StopSignal: "SIGINT",
				TTY:        true,
				OpenStdin:  true,
				ReadOnly:   true,
				Mounts: []mount.Mount{
					{Type: mount.TypeBind, Source: "/srv/data", Target: "/data", ReadOnly: true, Consistency: mount.ConsistencyCached,
						BindOptions: &mount.BindOptions{Propagation: mount.PropagationRSlave, NonRecursive: true, CreateMountpoint: true}},
					{Type: mount.TypeVolume, Source: "redis-data", Target: "/data2",
						VolumeOptions: &mount.VolumeOptions{NoCopy: true, Labels: map[string]string{"a": "b"}, Subpath: "sub",
							DriverConfig: &mount.Driver{Name: "local", Options: map[string]string{"type": "tmpfs"}}}},
					{Type: mount.TypeTmpfs, Target: "/run/cache",
						TmpfsOptions: &mount.TmpfsOptions{SizeBytes: 64 << 20, Mode: 0o1777, Options: [][]string{{"noexec"}, {"nr_inodes", "1000"}}}},
				},
				StopGracePeriod: ptr(15 * time.Second),
				Healthcheck: &container.HealthConfig{
					Test: []string{"CMD-SHELL", "curl -f http://localhost/ || exit 1"}, Interval: 5 * time.Second,
					Timeout: 2 * time.Second, StartPeriod: 10 * time.Second, StartInterval: time.Second, Retries: 3,
				},
				Hosts: []string{"10.0.0.5 db.local"},
				DNSConfig: &types.DNSConfig{
					Nameservers: mustAddrs("8.8.8.8", "2001:4860:4860::8888"),
					Search:      []string{"example.com"},
					Options:     []string{"ndots:2"},
				},
				Secrets: []*types.SecretReference{{SecretID: "sid", SecretName: "db_pass",
					File: &types.SecretReferenceFileTarget{Name: "db_pass", UID: "0", GID: "0", Mode: 0o400}}},
				Configs: []*types.ConfigReference{
					{ConfigID: "cid", ConfigName: "nginx.conf", File: &types.ConfigReferenceFileTarget{Name: "/etc/nginx/nginx.conf", UID: "33", GID: "33", Mode: 0o444}},
					{ConfigID: "cid2", ConfigName: "cred", Runtime: &types.ConfigReferenceRuntimeTarget{}},
				},
				Isolation:      container.IsolationDefault,
				Sysctls:        map[string]string{"net.core.somaxconn": "1024"},
				CapabilityAdd:  []string{"CAP_NET_ADMIN"},
				CapabilityDrop: []string{"CAP_MKNOD"},
				Ulimits:        []*container.Ulimit{{Name: "nofile", Soft: 1024, Hard: 2048}},
				OomScoreAdj:    -100,
			},
			Resources: &types.ResourceRequirements{
				Limits: &types.Limit{NanoCPUs: 500_000_000, MemoryBytes: 64 << 20, Pids: 100},
				Reservations: &types.Resources{NanoCPUs: 100_000_000, MemoryBytes: 32 << 20, GenericResources: []types.GenericResource{
					{DiscreteResourceSpec: &types.DiscreteGenericResource{Kind: "SSD", Value: 1}},
					{NamedResourceSpec: &types.NamedGenericResource{Kind: "GPU", Value: "UUID1"}},
				}},
				SwapBytes:        ptr(int64(128 << 20)),
				MemorySwappiness: ptr(int64(10)),
			},
			RestartPolicy: &types.RestartPolicy{Condition: types.RestartPolicyConditionOnFailure, Delay: ptr(5 * time.Second), MaxAttempts: ptr(uint64(3)), Window: ptr(time.Minute)},
			Placement: &types.Placement{
				Constraints: []string{"node.role == manager", "node.labels.zone != b"},
				Preferences: []types.PlacementPreference{{Spread: &types.SpreadOver{SpreadDescriptor: "node.labels.zone"}}},
				MaxReplicas: 2,
				Platforms:   []types.Platform{{Architecture: "amd64", OS: "linux"}},
			},
			Networks:    []types.NetworkAttachmentConfig{{Target: "webnet", Aliases: []string{"web"}, DriverOpts: map[string]string{"k": "v"}}},
			LogDriver:   &types.Driver{Name: "json-file", Options: map[string]string{"max-size": "10m"}},
			ForceUpdate: 7,
			Runtime:     types.RuntimeContainer,
		},
		Mode: types.ServiceMode{Replicated: &types.ReplicatedService{Replicas: ptr(uint64(5))}},
		UpdateConfig: &types.UpdateConfig{Parallelism: 2, Delay: 10 * time.Second, FailureAction: types.UpdateFailureActionRollback,
			Monitor: 30 * time.Second, MaxFailureRatio: 0.25, Order: types.UpdateOrderStartFirst},
		RollbackConfig: &types.UpdateConfig{Parallelism: 1, FailureAction: types.UpdateFailureActionContinue, Order: types.UpdateOrderStopFirst},
		EndpointSpec: &types.EndpointSpec{Mode: types.ResolutionModeVIP, Ports: []types.PortConfig{
			{Name: "http", Protocol: network.TCP, TargetPort: 80, PublishedPort: 4000, PublishMode: types.PortConfigPublishModeIngress},
			{Protocol: network.UDP, TargetPort: 53, PublishedPort: 5353, PublishMode: types.PortConfigPublishModeHost},
			{Protocol: network.SCTP, TargetPort: 9, PublishMode: types.PortConfigPublishModeIngress},
		}},
	}
}

func TestServiceSpecRoundTrip(t *testing.T) {
	modes := map[string]types.ServiceMode{
		"replicated":     {Replicated: &types.ReplicatedService{Replicas: ptr(uint64(5))}},
		"global":         {Global: &types.GlobalService{}},
		"replicated-job": {ReplicatedJob: &types.ReplicatedJob{MaxConcurrent: ptr(uint64(2)), TotalCompletions: ptr(uint64(6))}},
		"global-job":     {GlobalJob: &types.GlobalJob{}},
	}
	for name, mode := range modes {
		t.Run(name, func(t *testing.T) {
			in := richSpec()
			in.Mode = mode
			if mode.ReplicatedJob != nil || mode.GlobalJob != nil {
				in.UpdateConfig = nil // swarmkit refuses update configs on jobs
			}
			g, err := ServiceSpecToGRPC(in)
			if err != nil {
				t.Fatal(err)
			}
			if c := g.Task.GetContainer(); c == nil || c.PidsLimit != 100 {
				t.Fatalf("pids limit not on the container spec: %+v", c)
			}
			out, err := ServiceFromGRPC(swarmapi.Service{ID: "svc", Spec: g})
			if err != nil {
				t.Fatal(err)
			}
			assertEqual(t, "spec", out.Spec, in)
		})
	}
}

func TestServiceFromGRPC(t *testing.T) {
	created := time.Date(2026, 12, 7, 10, 0, 0, 123, time.UTC)
	updated := created.Add(time.Minute)
	spec, err := ServiceSpecToGRPC(richSpec())
	if err != nil {
		t.Fatal(err)
	}
	prev := spec
	prev.Task.ForceUpdate = 6
	s := swarmapi.Service{
		ID:           "svcid",
		Meta:         swarmapi.Meta{Version: swarmapi.Version{Index: 42}, CreatedAt: ts(t, created), UpdatedAt: ts(t, updated)},
		Spec:         spec,
		PreviousSpec: &prev,
		Endpoint: &swarmapi.Endpoint{
			Spec:       spec.Endpoint,
			Ports:      []*swarmapi.PortConfig{{Protocol: swarmapi.ProtocolTCP, TargetPort: 80, PublishedPort: 4000, PublishMode: swarmapi.PublishModeIngress}},
			VirtualIPs: []*swarmapi.Endpoint_VirtualIP{{NetworkID: "ingressid", Addr: "10.0.0.7/24"}},
		},
		UpdateStatus: &swarmapi.UpdateStatus{State: swarmapi.UpdateStatus_ROLLBACK_COMPLETED, StartedAt: ts(t, created), Message: "rollback completed"},
		JobStatus:    &swarmapi.JobStatus{JobIteration: swarmapi.Version{Index: 3}, LastExecution: ts(t, updated)},
	}
	got, err := ServiceFromGRPC(s)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "svcid" || got.Version.Index != 42 || !got.CreatedAt.Equal(created) || !got.UpdatedAt.Equal(updated) {
		t.Fatalf("meta: %+v", got.Meta)
	}
	if got.PreviousSpec == nil || got.PreviousSpec.TaskTemplate.ForceUpdate != 6 {
		t.Fatalf("previous spec: %+v", got.PreviousSpec)
	}
	assertEqual(t, "endpoint", got.Endpoint, types.Endpoint{
		Spec:       *richSpec().EndpointSpec,
		Ports:      []types.PortConfig{{Protocol: network.TCP, TargetPort: 80, PublishedPort: 4000, PublishMode: types.PortConfigPublishModeIngress}},
		VirtualIPs: []types.EndpointVirtualIP{{NetworkID: "ingressid", Addr: mustPrefix("10.0.0.7/24")}},
	})
	u := got.UpdateStatus
	if u == nil || u.State != types.UpdateStateRollbackCompleted || u.StartedAt == nil || !u.StartedAt.Equal(created) || u.CompletedAt != nil || u.Message != "rollback completed" {
		t.Fatalf("update status: %+v", u)
	}
	if j := got.JobStatus; j == nil || j.JobIteration.Index != 3 || !j.LastExecution.Equal(updated) {
		t.Fatalf("job status: %+v", got.JobStatus)
	}
	if got.ServiceStatus != nil {
		t.Fatal("ServiceStatus is the caller's to fill")
	}
}

func TestUpdateStates(t *testing.T) {
	for state, want := range map[swarmapi.UpdateStatus_UpdateState]types.UpdateState{
		swarmapi.UpdateStatus_UNKNOWN:            "",
		swarmapi.UpdateStatus_UPDATING:           types.UpdateStateUpdating,
		swarmapi.UpdateStatus_PAUSED:             types.UpdateStatePaused,
		swarmapi.UpdateStatus_COMPLETED:          types.UpdateStateCompleted,
		swarmapi.UpdateStatus_ROLLBACK_STARTED:   types.UpdateStateRollbackStarted,
		swarmapi.UpdateStatus_ROLLBACK_PAUSED:    types.UpdateStateRollbackPaused,
		swarmapi.UpdateStatus_ROLLBACK_COMPLETED: types.UpdateStateRollbackCompleted,
	} {
		spec, _ := ServiceSpecToGRPC(richSpec())
		got, err := ServiceFromGRPC(swarmapi.Service{Spec: spec, UpdateStatus: &swarmapi.UpdateStatus{State: state}})
		if err != nil {
			t.Fatal(err)
		}
		if got.UpdateStatus.State != want {
			t.Errorf("%v: got %q, want %q", state, got.UpdateStatus.State, want)
		}
		// Unset timestamps are omitted rather than shown as 1970.
		if got.UpdateStatus.StartedAt != nil || got.UpdateStatus.CompletedAt != nil {
			t.Errorf("%v: timestamps %v %v", state, got.UpdateStatus.StartedAt, got.UpdateStatus.CompletedAt)
		}
	}
}

func TestServiceSpecToGRPCDefaults(t *testing.T) {
	minimal := func() types.ServiceSpec {
		return types.ServiceSpec{TaskTemplate: types.TaskSpec{ContainerSpec: &types.ContainerSpec{Image: "nginx"}}}
	}
	t.Run("one replica and a random name", func(t *testing.T) {
		g, err := ServiceSpecToGRPC(minimal())
		if err != nil {
			t.Fatal(err)
		}
		if r := g.GetReplicated(); r == nil || r.Replicas != 1 {
			t.Fatalf("mode: %+v", g.Mode)
		}
		if !strings.Contains(g.Annotations.Name, "_") {
			t.Fatalf("name %q is not a generated adjective_surname", g.Annotations.Name)
		}
	})
	t.Run("replicated without count", func(t *testing.T) {
		s := minimal()
		s.Mode.Replicated = &types.ReplicatedService{}
		g, _ := ServiceSpecToGRPC(s)
		if r := g.GetReplicated(); r == nil || r.Replicas != 1 {
			t.Fatalf("mode: %+v", g.Mode)
		}
	})
	t.Run("replicated job defaults", func(t *testing.T) {
		s := minimal()
		s.Mode.ReplicatedJob = &types.ReplicatedJob{}
		g, _ := ServiceSpecToGRPC(s)
		if j := g.GetReplicatedJob(); j == nil || j.MaxConcurrent != 1 || j.TotalCompletions != 1 {
			t.Fatalf("job: %+v", g.Mode)
		}
		s.Mode.ReplicatedJob = &types.ReplicatedJob{MaxConcurrent: ptr(uint64(3))}
		g, _ = ServiceSpecToGRPC(s)
		if j := g.GetReplicatedJob(); j.TotalCompletions != 3 {
			t.Fatalf("total completions default to max concurrent: %+v", j)
		}
	})
	t.Run("ports keep dockerd's leniency", func(t *testing.T) {
		s := minimal()
		s.EndpointSpec = &types.EndpointSpec{Ports: []types.PortConfig{{Protocol: "bogus", PublishMode: "weird", TargetPort: 80}}}
		g, err := ServiceSpecToGRPC(s)
		if err != nil {
			t.Fatal(err)
		}
		p := g.Endpoint.Ports[0]
		if p.Protocol != swarmapi.ProtocolTCP || p.PublishMode != swarmapi.PublishModeIngress || g.Endpoint.Mode != swarmapi.ResolutionModeVirtualIP {
			t.Fatalf("port: %+v mode %v", p, g.Endpoint.Mode)
		}
	})
	t.Run("restart defaults to any", func(t *testing.T) {
		s := minimal()
		s.TaskTemplate.RestartPolicy = &types.RestartPolicy{}
		g, _ := ServiceSpecToGRPC(s)
		if g.Task.Restart.Condition != swarmapi.RestartOnAny {
			t.Fatalf("restart: %+v", g.Task.Restart)
		}
		out, _ := ServiceFromGRPC(swarmapi.Service{Spec: g})
		if rp := out.Spec.TaskTemplate.RestartPolicy; rp.MaxAttempts == nil || *rp.MaxAttempts != 0 || rp.Delay != nil {
			t.Fatalf("read back: %+v", rp)
		}
	})
	t.Run("update config defaults", func(t *testing.T) {
		s := minimal()
		s.UpdateConfig = &types.UpdateConfig{Parallelism: 1}
		g, _ := ServiceSpecToGRPC(s)
		if g.Update.FailureAction != swarmapi.UpdateConfig_PAUSE || g.Update.Order != swarmapi.UpdateConfig_STOP_FIRST || g.Update.Monitor != nil {
			t.Fatalf("update: %+v", g.Update)
		}
	})
}

func TestServiceSpecToGRPCErrors(t *testing.T) {
	base := func() types.ServiceSpec {
		return types.ServiceSpec{Annotations: types.Annotations{Name: "s"}, TaskTemplate: types.TaskSpec{ContainerSpec: &types.ContainerSpec{Image: "nginx"}}}
	}
	cases := []struct {
		name    string
		mutate  func(*types.ServiceSpec)
		want    string
		notImpl bool
	}{
		{"two modes", func(s *types.ServiceSpec) {
			s.Mode = types.ServiceMode{Replicated: &types.ReplicatedService{}, Global: &types.GlobalService{}}
		}, "must specify only one service mode", false},
		{"job and global", func(s *types.ServiceSpec) {
			s.Mode = types.ServiceMode{GlobalJob: &types.GlobalJob{}, Global: &types.GlobalService{}}
		}, "must specify only one service mode", false},
		{"restart condition", func(s *types.ServiceSpec) {
			s.TaskTemplate.RestartPolicy = &types.RestartPolicy{Condition: "sometimes"}
		}, `invalid RestartCondition: "sometimes"`, false},
		{"update failure action", func(s *types.ServiceSpec) {
			s.UpdateConfig = &types.UpdateConfig{FailureAction: "explode"}
		}, "unrecognized update failure action explode", false},
		{"rollback order", func(s *types.ServiceSpec) {
			s.RollbackConfig = &types.UpdateConfig{Order: "middle-first"}
		}, "unrecognized update order middle-first", false},
		{"resolution mode", func(s *types.ServiceSpec) {
			s.EndpointSpec = &types.EndpointSpec{Mode: "round-robin"}
		}, `invalid resolution mode: "round-robin"`, false},
		{"mount type", func(s *types.ServiceSpec) {
			s.TaskTemplate.ContainerSpec.Mounts = []mount.Mount{{Type: mount.TypeImage, Source: "alpine", Target: "/x"}}
		}, `invalid MountType: "image"`, false},
		{"mount propagation", func(s *types.ServiceSpec) {
			s.TaskTemplate.ContainerSpec.Mounts = []mount.Mount{{Type: mount.TypeBind, Source: "/a", Target: "/b", BindOptions: &mount.BindOptions{Propagation: "sideways"}}}
		}, `invalid MountPropagation: "sideways"`, false},
		{"config without target", func(s *types.ServiceSpec) {
			s.TaskTemplate.ContainerSpec.Configs = []*types.ConfigReference{{ConfigName: "c"}}
		}, "invalid Config: either File or Runtime should be set", false},
		{"config with both targets", func(s *types.ServiceSpec) {
			s.TaskTemplate.ContainerSpec.Configs = []*types.ConfigReference{{ConfigName: "c", File: &types.ConfigReferenceFileTarget{Name: "c"}, Runtime: &types.ConfigReferenceRuntimeTarget{}}}
		}, "invalid Config: cannot specify both File and Runtime", false},
		{"credential spec empty", func(s *types.ServiceSpec) {
			s.TaskTemplate.ContainerSpec.Privileges = &types.Privileges{CredentialSpec: &types.CredentialSpec{}}
		}, `invalid CredentialSpec: must either provide "file", "registry", or "config" for credential spec`, false},
		{"credential spec two", func(s *types.ServiceSpec) {
			s.TaskTemplate.ContainerSpec.Privileges = &types.Privileges{CredentialSpec: &types.CredentialSpec{File: "f", Registry: "r"}}
		}, `invalid CredentialSpec: cannot specify both "file" and "registry" credential specs`, false},
		{"credential spec three", func(s *types.ServiceSpec) {
			s.TaskTemplate.ContainerSpec.Privileges = &types.Privileges{CredentialSpec: &types.CredentialSpec{Config: "c", File: "f", Registry: "r"}}
		}, `invalid CredentialSpec: cannot specify both "config", "file", and "registry" credential specs`, false},
		{"swap without memory", func(s *types.ServiceSpec) {
			s.TaskTemplate.Resources = &types.ResourceRequirements{SwapBytes: ptr(int64(1 << 20))}
		}, "memory swap provided, but no memory-limit was set", false},
		{"container runtime without spec", func(s *types.ServiceSpec) {
			s.TaskTemplate.ContainerSpec = nil
		}, "mismatched Runtime and *Spec fields", false},
		{"attachment runtime", func(s *types.ServiceSpec) {
			s.TaskTemplate.Runtime = types.RuntimeNetworkAttachment
		}, "unsupported runtime", false},
		{"plugin runtime", func(s *types.ServiceSpec) {
			s.TaskTemplate.Runtime = types.RuntimePlugin
			s.TaskTemplate.PluginSpec = &types.RuntimeSpec{Name: "vieux/sshfs"}
		}, "plugin services are not implemented", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := base()
			c.mutate(&s)
			_, err := ServiceSpecToGRPC(s)
			if err == nil || err.Error() != c.want {
				t.Fatalf("got %v, want %q", err, c.want)
			}
			if c.notImpl != errdefs.IsNotImplemented(err) || (!c.notImpl && !errdefs.IsInvalidParameter(err)) {
				t.Fatalf("class of %v", err)
			}
		})
	}
}

func TestServiceFromGRPCRuntimes(t *testing.T) {
	legacy := swarmapi.ServiceSpec{
		Task:     swarmapi.TaskSpec{Runtime: &swarmapi.TaskSpec_Container{Container: &swarmapi.ContainerSpec{Image: "redis"}}},
		Networks: []*swarmapi.NetworkAttachmentConfig{{Target: "old"}},
	}
	got, err := ServiceFromGRPC(swarmapi.Service{Spec: legacy})
	if err != nil {
		t.Fatal(err)
	}
	if n := got.Spec.TaskTemplate.Networks; len(n) != 1 || n[0].Target != "old" {
		t.Fatalf("pre-1.25 networks not shown in the task template: %+v", n)
	}
	if got.Spec.Labels == nil {
		t.Fatal("labels must be {} not null")
	}
	if _, err := ServiceFromGRPC(swarmapi.Service{Spec: swarmapi.ServiceSpec{}}); err == nil || !strings.Contains(err.Error(), "unsupported runtime") {
		t.Fatalf("no runtime: %v", err)
	}
	plugin := swarmapi.ServiceSpec{Task: swarmapi.TaskSpec{Runtime: &swarmapi.TaskSpec_Generic{Generic: &swarmapi.GenericRuntimeSpec{Kind: "plugin"}}}}
	got, err = ServiceFromGRPC(swarmapi.Service{Spec: plugin})
	if err != nil || got.Spec.TaskTemplate.Runtime != types.RuntimePlugin {
		t.Fatalf("plugin: %v %q", err, got.Spec.TaskTemplate.Runtime)
	}
}

func TestTmpfsOptionsAreDockerdJSON(t *testing.T) {
	// A cluster shared with dockerd nodes must read the same string.
	m, err := mountToGRPC(mount.Mount{Type: mount.TypeTmpfs, Target: "/t", TmpfsOptions: &mount.TmpfsOptions{Mode: os.FileMode(0o700), Options: [][]string{{"exec"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if m.TmpfsOptions.Options != `[["exec"]]` || m.TmpfsOptions.Mode != 0o700 {
		t.Fatalf("tmpfs: %+v", m.TmpfsOptions)
	}
	back := MountFromGRPC(swarmapi.Mount{Type: swarmapi.MountTypeTmpfs, TmpfsOptions: &swarmapi.Mount_TmpfsOptions{Options: "not json"}})
	if back.TmpfsOptions == nil || back.TmpfsOptions.Options != nil {
		t.Fatalf("bad options must be dropped, not fail: %+v", back.TmpfsOptions)
	}
}

func TestServiceSpecErrorOrder(t *testing.T) {
	// With several faults the first one reported is dockerd's first:
	// container spec, restart policy, update, rollback, endpoint, mode.
	s := types.ServiceSpec{
		TaskTemplate: types.TaskSpec{
			ContainerSpec: &types.ContainerSpec{Image: "a", Mounts: []mount.Mount{{Type: "weird"}}},
			RestartPolicy: &types.RestartPolicy{Condition: "x"},
		},
		UpdateConfig: &types.UpdateConfig{FailureAction: "y"},
		Mode:         types.ServiceMode{Global: &types.GlobalService{}, GlobalJob: &types.GlobalJob{}},
	}
	for _, want := range []string{`invalid MountType: "weird"`, `invalid RestartCondition: "x"`, "unrecognized update failure action y", "must specify only one service mode"} {
		_, err := ServiceSpecToGRPC(s)
		if err == nil || err.Error() != want {
			t.Fatalf("got %v, want %q", err, want)
		}
		switch {
		case s.TaskTemplate.ContainerSpec.Mounts != nil:
			s.TaskTemplate.ContainerSpec.Mounts = nil
		case s.TaskTemplate.RestartPolicy != nil:
			s.TaskTemplate.RestartPolicy = nil
		default:
			s.UpdateConfig = nil
		}
	}
}
