package compose

import (
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
)

func strp(s string) *string { return &s }

func TestPorts(t *testing.T) {
	tests := []struct {
		name     string
		ports    []types.ServicePortConfig
		expose   types.StringOrNumberList
		exposed  []string
		bindings map[string]string
		err      string
	}{
		{name: "none"},
		{
			name:     "published on an address",
			ports:    []types.ServicePortConfig{{Target: 80, Published: "8080", HostIP: "127.0.0.1"}},
			exposed:  []string{"80/tcp"},
			bindings: map[string]string{"80/tcp": "127.0.0.1:8080"},
		},
		{
			name:     "udp, any address, ephemeral",
			ports:    []types.ServicePortConfig{{Target: 53, Protocol: "udp"}},
			exposed:  []string{"53/udp"},
			bindings: map[string]string{"53/udp": ":"},
		},
		{name: "expose range", expose: types.StringOrNumberList{"7000", "7100-7102/udp"}, exposed: []string{"7000/tcp", "7100/udp", "7101/udp", "7102/udp"}},
		{name: "bad expose", expose: types.StringOrNumberList{"x"}, err: `invalid expose "x"`},
		{name: "reversed range", expose: types.StringOrNumberList{"9-3"}, err: "invalid expose"},
		{name: "bad host ip", ports: []types.ServicePortConfig{{Target: 1, HostIP: "nope"}}, err: "invalid host IP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := types.ServiceConfig{Name: "s"}
			s.Ports, s.Expose = tt.ports, tt.expose
			exposed, bindings, err := ports(s)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for p := range exposed {
				got = append(got, p.String())
			}
			sort.Strings(got)
			if !reflect.DeepEqual(got, tt.exposed) && !(len(got) == 0 && len(tt.exposed) == 0) {
				t.Errorf("exposed %v, want %v", got, tt.exposed)
			}
			gotB := map[string]string{}
			for p, bs := range bindings {
				ip := ""
				if bs[0].HostIP.IsValid() {
					ip = bs[0].HostIP.String()
				}
				gotB[p.String()] = ip + ":" + bs[0].HostPort
			}
			if len(gotB) != len(tt.bindings) || (len(gotB) > 0 && !reflect.DeepEqual(gotB, tt.bindings)) {
				t.Errorf("bindings %v, want %v", gotB, tt.bindings)
			}
		})
	}
}

func TestRestartPolicy(t *testing.T) {
	three := uint64(3)
	tests := []struct {
		restart string
		deploy  *types.DeployConfig
		want    container.RestartPolicy
	}{
		{"", nil, container.RestartPolicy{}},
		{"always", nil, container.RestartPolicy{Name: "always"}},
		{"on-failure:4", nil, container.RestartPolicy{Name: "on-failure", MaximumRetryCount: 4}},
		{"", &types.DeployConfig{RestartPolicy: &types.RestartPolicy{Condition: "on-failure", MaxAttempts: &three}}, container.RestartPolicy{Name: "on-failure", MaximumRetryCount: 3}},
		{"", &types.DeployConfig{RestartPolicy: &types.RestartPolicy{Condition: "any"}}, container.RestartPolicy{Name: "always"}},
		{"", &types.DeployConfig{RestartPolicy: &types.RestartPolicy{Condition: "none"}}, container.RestartPolicy{Name: "no"}},
		{"no", &types.DeployConfig{RestartPolicy: &types.RestartPolicy{Condition: "any"}}, container.RestartPolicy{Name: "no"}},
	}
	for _, tt := range tests {
		s := types.ServiceConfig{Restart: tt.restart, Deploy: tt.deploy}
		if got := restartPolicy(s); got != tt.want {
			t.Errorf("restart %q deploy %+v: %+v, want %+v", tt.restart, tt.deploy, got, tt.want)
		}
	}
}

func TestResources(t *testing.T) {
	s := types.ServiceConfig{}
	s.MemLimit = 64 << 20
	s.CPUS = 0.5
	s.PidsLimit = 10
	s.Ulimits = map[string]*types.UlimitsConfig{"nofile": {Soft: 10, Hard: 20}, "nproc": {Single: 5}}
	r := resources(s)
	if r.Memory != 64<<20 || r.NanoCPUs != 5e8 || *r.PidsLimit != 10 {
		t.Fatalf("top-level keys: %+v", r)
	}
	if len(r.Ulimits) != 2 || r.Ulimits[0].Name != "nofile" || r.Ulimits[0].Hard != 20 || r.Ulimits[1].Soft != 5 || r.Ulimits[1].Hard != 5 {
		t.Fatalf("ulimits %+v %+v", r.Ulimits[0], r.Ulimits[1])
	}
	// deploy.resources wins, as in Compose.
	s.Deploy = &types.DeployConfig{Resources: types.Resources{
		Limits:       &types.Resource{NanoCPUs: 0.25, MemoryBytes: 32 << 20, Pids: 5},
		Reservations: &types.Resource{MemoryBytes: 8 << 20},
	}}
	r = resources(s)
	if r.Memory != 32<<20 || r.NanoCPUs != 25e7 || *r.PidsLimit != 5 || r.MemoryReservation != 8<<20 {
		t.Fatalf("deploy.resources: %+v", r)
	}
}

func TestEnvAndHealth(t *testing.T) {
	env := envList(types.MappingWithEquals{"B": strp("2"), "A": strp("1"), "UNSET": nil, "EMPTY": strp("")})
	if want := []string{"A=1", "B=2", "EMPTY="}; !reflect.DeepEqual(env, want) {
		t.Errorf("env %v, want %v", env, want)
	}
	if healthcheck(nil) != nil {
		t.Error("no healthcheck must inherit the image's")
	}
	if hc := healthcheck(&types.HealthCheckConfig{Disable: true}); !reflect.DeepEqual(hc.Test, []string{"NONE"}) {
		t.Errorf("disable: %v", hc.Test)
	}
	iv := types.Duration(2 * time.Second)
	retries := uint64(4)
	hc := healthcheck(&types.HealthCheckConfig{Test: types.HealthCheckTest{"CMD", "true"}, Interval: &iv, Retries: &retries})
	if hc.Interval != 2*time.Second || hc.Retries != 4 || hc.Test[1] != "true" {
		t.Errorf("healthcheck %+v", hc)
	}
}

func TestVolumeMounts(t *testing.T) {
	p := &types.Project{Name: "p",
		Volumes: types.Volumes{"data": {Name: "p_data"}},
		Configs: types.Configs{"c": {File: "/src/c.txt"}, "inline": {Content: "x"}},
		Secrets: types.Secrets{"s": {File: "/src/s.txt"}},
	}
	s := types.ServiceConfig{Name: "svc"}
	s.Volumes = []types.ServiceVolumeConfig{
		{Type: "bind", Source: "/h", Target: "/c", ReadOnly: true},
		{Type: "volume", Source: "data", Target: "/d"},
		{Type: "volume", Target: "/anon"},
		{Type: "tmpfs", Target: "/t", Tmpfs: &types.ServiceVolumeTmpfs{Size: 1 << 20}},
	}
	s.Configs = []types.ServiceConfigObjConfig{{Source: "c"}, {Source: "inline"}}
	s.Secrets = []types.ServiceSecretConfig{{Source: "s"}}
	binds, mounts, err := volumeMounts(p, s)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(binds, []string{"/h:/c:ro"}) {
		t.Errorf("binds %v", binds)
	}
	want := []mount.Mount{
		{Type: "volume", Source: "p_data", Target: "/d"},
		{Type: "volume", Target: "/anon"},
		{Type: "tmpfs", Target: "/t", TmpfsOptions: &mount.TmpfsOptions{SizeBytes: 1 << 20}},
		{Type: "bind", Source: "/src/c.txt", Target: "/c", ReadOnly: true},
		{Type: "bind", Source: "/src/s.txt", Target: "/run/secrets/s", ReadOnly: true},
	}
	if !reflect.DeepEqual(mounts, want) {
		t.Errorf("mounts\n%+v\nwant\n%+v", mounts, want)
	}
	s.Volumes = []types.ServiceVolumeConfig{{Type: "volume", Source: "ghost", Target: "/g"}}
	if _, _, err := volumeMounts(p, s); err == nil || !strings.Contains(err.Error(), "undefined volume ghost") {
		t.Errorf("undefined volume: %v", err)
	}
}

func TestToCreateNetworksAndLabels(t *testing.T) {
	p := &types.Project{Name: "p", Networks: types.Networks{
		"front": {Name: "p_front"}, "back": {Name: "p_back"},
	}}
	s := types.ServiceConfig{Name: "web"}
	s.CustomLabels = types.Labels{ProjectLabel: "p"}
	s.Image = "busybox"
	s.Labels = types.Labels{"user": "1"}
	s.DependsOn = types.DependsOnConfig{"db": {Condition: "service_healthy", Restart: true}, "cache": {}}
	s.Networks = map[string]*types.ServiceNetworkConfig{
		"front": {Aliases: []string{"w"}, Ipv4Address: "10.0.0.5", Priority: 10},
		"back":  nil,
	}
	spec, err := toCreate(p, s, 2, "p-web-2", "h", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	l := spec.Config.Labels
	if l[ContainerNumberLabel] != "2" || l[ConfigHashLabel] != "h" || l["user"] != "1" || l[ProjectLabel] != "p" {
		t.Errorf("labels %v", l)
	}
	if l[DependenciesLabel] != "cache:service_started:false,db:service_healthy:true" {
		t.Errorf("depends_on label %q", l[DependenciesLabel])
	}
	if spec.Host.NetworkMode != "p_front" {
		t.Errorf("network mode %q: the highest priority network comes first", spec.Host.NetworkMode)
	}
	ep := spec.Networking.EndpointsConfig["p_front"]
	if !reflect.DeepEqual(ep.Aliases, []string{"web", "w"}) || ep.IPAMConfig.IPv4Address.String() != "10.0.0.5" {
		t.Errorf("front endpoint %+v", ep)
	}
	if spec.Extra["p_back"] == nil || !reflect.DeepEqual(spec.Extra["p_back"].Aliases, []string{"web"}) {
		t.Errorf("extra networks %+v", spec.Extra)
	}
	if got := ImageName("p", types.ServiceConfig{Name: "built"}); got != "p-built" {
		t.Errorf("default image name %q", got)
	}
}
