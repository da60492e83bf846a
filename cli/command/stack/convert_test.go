package stack

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/swarm"
)

func load(t *testing.T, yml string) (*types.Project, string) {
	t.Helper()
	dir := t.TempDir()
	f := filepath.Join(dir, "docker-compose.yml")
	if err := os.WriteFile(f, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	var errw bytes.Buffer
	p, err := loadProject(context.Background(), []string{f}, "st", nil, &errw)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return p, errw.String()
}

func convertOne(t *testing.T, yml, svc string) swarm.ServiceSpec {
	t.Helper()
	p, _ := load(t, yml)
	s, ok := p.Services[svc]
	if !ok {
		t.Fatalf("no service %s", svc)
	}
	spec, err := convertService("st", p, s, nil, nil)
	if err != nil {
		t.Fatalf("convert: %v", err)
	}
	return spec
}

func u64(v uint64) *uint64 { return &v }

func TestConvertService(t *testing.T) {
	tests := []struct {
		name  string
		yml   string
		check func(t *testing.T, s swarm.ServiceSpec)
	}{
		{
			name: "getstarted web",
			yml: `services:
  web:
    image: username/repo:tag
    deploy:
      replicas: 5
      restart_policy: {condition: on-failure}
      resources: {limits: {cpus: "0.1", memory: 50M}}
    ports: ["4000:80"]
    networks: [webnet]
networks:
  webnet:
`,
			check: func(t *testing.T, s swarm.ServiceSpec) {
				if s.Name != "st_web" || s.Labels[LabelNamespace] != "st" || s.Labels[LabelImage] != "username/repo:tag" {
					t.Errorf("annotations %+v", s.Annotations)
				}
				if s.TaskTemplate.ContainerSpec.Labels[LabelNamespace] != "st" {
					t.Errorf("container labels %v", s.TaskTemplate.ContainerSpec.Labels)
				}
				if s.Mode.Replicated == nil || *s.Mode.Replicated.Replicas != 5 {
					t.Errorf("mode %+v", s.Mode)
				}
				l := s.TaskTemplate.Resources.Limits
				if l.NanoCPUs != 100000000 || l.MemoryBytes != 50*1024*1024 {
					t.Errorf("limits %+v", l)
				}
				if s.TaskTemplate.RestartPolicy.Condition != swarm.RestartPolicyConditionOnFailure {
					t.Errorf("restart %+v", s.TaskTemplate.RestartPolicy)
				}
				p := s.EndpointSpec.Ports
				if len(p) != 1 || p[0].PublishedPort != 4000 || p[0].TargetPort != 80 || p[0].Protocol != "tcp" || p[0].PublishMode != swarm.PortConfigPublishModeIngress {
					t.Errorf("ports %+v", p)
				}
				n := s.TaskTemplate.Networks
				if len(n) != 1 || n[0].Target != "st_webnet" || len(n[0].Aliases) != 1 || n[0].Aliases[0] != "web" {
					t.Errorf("networks %+v", n)
				}
			},
		},
		{
			name: "redis command, bind volume, constraint",
			yml: `services:
  redis:
    image: redis
    command: redis-server --appendonly yes
    volumes: ["/srv/data:/data", "/var/run/docker.sock:/var/run/docker.sock:ro"]
    deploy:
      placement: {constraints: [node.role == manager], preferences: [{spread: node.labels.zone}], max_replicas_per_node: 2}
`,
			check: func(t *testing.T, s swarm.ServiceSpec) {
				if got := strings.Join(s.TaskTemplate.ContainerSpec.Args, " "); got != "redis-server --appendonly yes" {
					t.Errorf("args %q", got)
				}
				m := s.TaskTemplate.ContainerSpec.Mounts
				if len(m) != 2 || m[0].Type != mount.TypeBind || m[0].Source != "/srv/data" || m[0].Target != "/data" || m[0].BindOptions != nil || !m[1].ReadOnly {
					t.Errorf("mounts %+v", m)
				}
				pl := s.TaskTemplate.Placement
				if len(pl.Constraints) != 1 || pl.Constraints[0] != "node.role == manager" || pl.MaxReplicas != 2 || pl.Preferences[0].Spread.SpreadDescriptor != "node.labels.zone" {
					t.Errorf("placement %+v", pl)
				}
				// No networks in the file: the stack's default network.
				if n := s.TaskTemplate.Networks; len(n) != 1 || n[0].Target != "st_default" {
					t.Errorf("networks %+v", n)
				}
				if s.Mode.Replicated == nil || s.Mode.Replicated.Replicas != nil {
					t.Errorf("mode %+v", s.Mode)
				}
			},
		},
		{
			name: "named volume, env, entrypoint, misc",
			yml: `services:
  app:
    image: busybox
    entrypoint: ["/bin/sh", "-c"]
    command: ["echo hi"]
    environment: {B: "2", A: "1"}
    labels: {c.l: x}
    hostname: h1
    user: "1000:1000"
    working_dir: /w
    tty: true
    init: true
    stop_grace_period: 20s
    stop_signal: SIGINT
    dns: [8.8.8.8]
    dns_search: [example.com]
    extra_hosts: ["somehost:162.242.195.82"]
    cap_add: [net_admin]
    cap_drop: [ALL]
    sysctls: {net.core.somaxconn: "1024"}
    ulimits: {nofile: {soft: 20000, hard: 40000}, nproc: 65535}
    logging: {driver: json-file, options: {max-size: 1m}}
    healthcheck: {test: ["CMD", "true"], interval: 10s, timeout: 2s, retries: 3, start_period: 1s}
    volumes: ["data:/data:nocopy"]
    deploy:
      mode: replicated
      replicas: 2
      labels: {d.l: y}
      endpoint_mode: dnsrr
      resources: {reservations: {cpus: "0.25", memory: 20M}, limits: {pids: 100}}
      update_config: {parallelism: 2, delay: 10s, failure_action: rollback, order: start-first, monitor: 5s, max_failure_ratio: 0.5}
      rollback_config: {delay: 1s}
      restart_policy: {condition: any, delay: 5s, max_attempts: 3, window: 2m}
volumes:
  data:
    labels: {v.l: z}
`,
			check: func(t *testing.T, s swarm.ServiceSpec) {
				c := s.TaskTemplate.ContainerSpec
				if strings.Join(c.Command, " ") != "/bin/sh -c" || strings.Join(c.Args, " ") != "echo hi" {
					t.Errorf("command %q args %q", c.Command, c.Args)
				}
				if strings.Join(c.Env, ",") != "A=1,B=2" {
					t.Errorf("env %q", c.Env)
				}
				if c.Labels["c.l"] != "x" || s.Labels["d.l"] != "y" || s.Labels["c.l"] != "" {
					t.Errorf("labels %v / %v", c.Labels, s.Labels)
				}
				if c.Hostname != "h1" || c.User != "1000:1000" || c.Dir != "/w" || !c.TTY || c.Init == nil || !*c.Init || c.StopSignal != "SIGINT" {
					t.Errorf("container %+v", c)
				}
				if c.StopGracePeriod == nil || *c.StopGracePeriod != 20*time.Second {
					t.Errorf("stop grace %v", c.StopGracePeriod)
				}
				if c.DNSConfig == nil || c.DNSConfig.Nameservers[0].String() != "8.8.8.8" || c.DNSConfig.Search[0] != "example.com" {
					t.Errorf("dns %+v", c.DNSConfig)
				}
				if len(c.Hosts) != 1 || c.Hosts[0] != "162.242.195.82 somehost" {
					t.Errorf("hosts %q", c.Hosts)
				}
				if strings.Join(c.CapabilityAdd, ",") != "CAP_NET_ADMIN" || strings.Join(c.CapabilityDrop, ",") != "ALL" {
					t.Errorf("caps %q %q", c.CapabilityAdd, c.CapabilityDrop)
				}
				if c.Sysctls["net.core.somaxconn"] != "1024" {
					t.Errorf("sysctls %v", c.Sysctls)
				}
				if len(c.Ulimits) != 2 || *c.Ulimits[0] != (container.Ulimit{Name: "nofile", Soft: 20000, Hard: 40000}) || *c.Ulimits[1] != (container.Ulimit{Name: "nproc", Soft: 65535, Hard: 65535}) {
					t.Errorf("ulimits %v %v", c.Ulimits[0], c.Ulimits[1])
				}
				if s.TaskTemplate.LogDriver.Name != "json-file" || s.TaskTemplate.LogDriver.Options["max-size"] != "1m" {
					t.Errorf("log %+v", s.TaskTemplate.LogDriver)
				}
				h := c.Healthcheck
				if strings.Join(h.Test, " ") != "CMD true" || h.Interval != 10*time.Second || h.Timeout != 2*time.Second || h.Retries != 3 || h.StartPeriod != time.Second {
					t.Errorf("health %+v", h)
				}
				m := c.Mounts
				if len(m) != 1 || m[0].Type != mount.TypeVolume || m[0].Source != "st_data" || !m[0].VolumeOptions.NoCopy || m[0].VolumeOptions.Labels["v.l"] != "z" || m[0].VolumeOptions.Labels[LabelNamespace] != "st" {
					t.Errorf("mounts %+v", m)
				}
				if s.EndpointSpec.Mode != swarm.ResolutionModeDNSRR {
					t.Errorf("endpoint %+v", s.EndpointSpec)
				}
				r := s.TaskTemplate.Resources
				if r.Reservations.NanoCPUs != 250000000 || r.Reservations.MemoryBytes != 20*1024*1024 || r.Limits.Pids != 100 {
					t.Errorf("resources %+v %+v", r.Reservations, r.Limits)
				}
				u := s.UpdateConfig
				if u.Parallelism != 2 || u.Delay != 10*time.Second || u.FailureAction != "rollback" || u.Order != "start-first" || u.Monitor != 5*time.Second || u.MaxFailureRatio != 0.5 {
					t.Errorf("update %+v", u)
				}
				if s.RollbackConfig.Parallelism != 1 || s.RollbackConfig.Delay != time.Second {
					t.Errorf("rollback %+v", s.RollbackConfig)
				}
				rp := s.TaskTemplate.RestartPolicy
				if rp.Condition != "any" || *rp.Delay != 5*time.Second || *rp.MaxAttempts != 3 || *rp.Window != 2*time.Minute {
					t.Errorf("restart %+v", rp)
				}
			},
		},
		{
			name: "global mode, long ports with host mode, external volume",
			yml: `services:
  agent:
    image: busybox
    deploy: {mode: global}
    ports:
      - {target: 53, published: 5353, protocol: udp, mode: host}
      - {target: 80}
    volumes:
      - {type: volume, source: ext, target: /e}
      - {type: tmpfs, target: /t, tmpfs: {size: 1000}}
volumes:
  ext: {external: true}
`,
			check: func(t *testing.T, s swarm.ServiceSpec) {
				if s.Mode.Global == nil {
					t.Errorf("mode %+v", s.Mode)
				}
				p := s.EndpointSpec.Ports
				if len(p) != 2 {
					t.Fatalf("ports %+v", p)
				}
				var host *swarm.PortConfig
				for i := range p {
					if p[i].PublishMode == swarm.PortConfigPublishModeHost {
						host = &p[i]
					}
				}
				if host == nil || host.PublishedPort != 5353 || host.TargetPort != 53 || host.Protocol != "udp" {
					t.Errorf("host port %+v", p)
				}
				m := s.TaskTemplate.ContainerSpec.Mounts
				if m[0].Source != "ext" || m[0].VolumeOptions.Labels != nil {
					t.Errorf("external volume %+v", m[0])
				}
				if m[1].Type != mount.TypeTmpfs || m[1].TmpfsOptions.SizeBytes != 1000 {
					t.Errorf("tmpfs %+v", m[1])
				}
			},
		},
		{
			name: "legacy restart falls back",
			yml: `services:
  a:
    image: busybox
    restart: on-failure:3
`,
			check: func(t *testing.T, s swarm.ServiceSpec) {
				rp := s.TaskTemplate.RestartPolicy
				if rp == nil || rp.Condition != swarm.RestartPolicyConditionOnFailure || *rp.MaxAttempts != 3 {
					t.Errorf("restart %+v", rp)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := ""
			for _, line := range strings.Split(tc.yml, "\n")[1:] {
				if strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   ") {
					name = strings.TrimSuffix(strings.TrimSpace(line), ":")
					break
				}
			}
			tc.check(t, convertOne(t, tc.yml, name))
		})
	}
}

func TestConvertErrors(t *testing.T) {
	tests := []struct {
		yml, want string
	}{
		{"services:\n  a:\n    image: busybox\n    deploy: {mode: global, replicas: 2}\n", "replicas can only be used with replicated or replicated-job mode"},
		{"services:\n  a:\n    image: busybox\n    deploy: {mode: bogus}\n", "unknown mode: bogus"},
		{"services:\n  a:\n    image: busybox\n    ports: [\"8000-8001:80-81\"]\n", ""},
		{"services:\n  a:\n    image: busybox\n    healthcheck: {disable: true, test: [\"CMD\", \"x\"]}\n", "test and disable can't be set at the same time"},
	}
	for _, tc := range tests {
		p, _ := load(t, tc.yml)
		_, err := convertService("st", p, p.Services["a"], nil, nil)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%q: unexpected %v", tc.yml, err)
			}
			continue
		}
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: got %v, want %q", tc.yml, err, tc.want)
		}
	}
}

func TestLoadWarnings(t *testing.T) {
	tests := []struct {
		yml, wantErr, wantWarn string
	}{
		{"services:\n  a:\n    image: busybox\n    build: .\n    privileged: true\n", "", "Ignoring unsupported options: build, privileged\n\n"},
		{"services:\n  a:\n    image: busybox\n    container_name: xy\n", "", "Ignoring deprecated options:\n\ncontainer_name: Setting the container name is not supported.\n\n"},
		{"services:\n  a:\n    image: busybox\n    cpu_shares: 2\n", "compose file contains unsupported options:\n\ncpu_shares: Set resource limits using deploy.resources\n", ""},
		{"services:\n  a:\n    build: .\n", "invalid image reference for service a: no image specified", "Ignoring unsupported options: build\n\n"},
	}
	for _, tc := range tests {
		dir := t.TempDir()
		f := filepath.Join(dir, "c.yml")
		if err := os.WriteFile(f, []byte(tc.yml), 0o644); err != nil {
			t.Fatal(err)
		}
		var errw bytes.Buffer
		_, err := loadProject(context.Background(), []string{f}, "st", nil, &errw)
		switch {
		case tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr):
			t.Errorf("%q: err %v, want %q", tc.yml, err, tc.wantErr)
		case tc.wantErr == "" && err != nil:
			t.Errorf("%q: unexpected %v", tc.yml, err)
		}
		if errw.String() != tc.wantWarn {
			t.Errorf("%q: warnings %q, want %q", tc.yml, errw.String(), tc.wantWarn)
		}
	}
	if _, err := loadProject(context.Background(), nil, "st", nil, &bytes.Buffer{}); err == nil || err.Error() != "Specify a Compose file (with --compose-file)" {
		t.Errorf("no file: %v", err)
	}
}

func TestGetStartedFixtures(t *testing.T) {
	var errw bytes.Buffer
	p, err := loadProject(context.Background(), []string{"testdata/getstarted/docker-compose3.yml"}, "getstartedlab", nil, &errw)
	if err != nil {
		t.Fatal(err)
	}
	if errw.Len() != 0 {
		t.Errorf("warnings: %q", errw.String())
	}
	nets, ext := convertNetworks("getstartedlab", p)
	if len(ext) != 0 || len(nets) != 1 {
		t.Fatalf("networks %v external %v", nets, ext)
	}
	if n, ok := nets["getstartedlab_webnet"]; !ok || n.Labels[LabelNamespace] != "getstartedlab" {
		t.Errorf("webnet %+v", nets)
	}
	redis, err := convertService("getstartedlab", p, p.Services["redis"], nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs("testdata/getstarted/data")
	if m := redis.TaskTemplate.ContainerSpec.Mounts; len(m) != 1 || m[0].Source != abs || m[0].Type != mount.TypeBind {
		t.Errorf("redis ./data mount %+v (want source %s)", m, abs)
	}
	if got := strings.Join(redis.TaskTemplate.ContainerSpec.Args, " "); got != "redis-server --appendonly yes" {
		t.Errorf("redis args %q", got)
	}
}

func TestEffectiveCaps(t *testing.T) {
	tests := []struct {
		add, drop         []string
		wantAdd, wantDrop string
	}{
		{[]string{"net_admin", "CAP_SYS_TIME"}, nil, "CAP_NET_ADMIN,CAP_SYS_TIME", ""},
		{[]string{"all", "chown"}, []string{"chown"}, "ALL", "CAP_CHOWN"},
		{[]string{"chown"}, []string{"CHOWN", "kill"}, "CAP_CHOWN", "CAP_KILL"},
	}
	for _, tc := range tests {
		a, d := effectiveCaps(tc.add, tc.drop)
		if strings.Join(a, ",") != tc.wantAdd || strings.Join(d, ",") != tc.wantDrop {
			t.Errorf("%v %v: got %v %v", tc.add, tc.drop, a, d)
		}
	}
}

func TestSecretsConfigs(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "s.txt"), []byte("pw"), 0o600); err != nil {
		t.Fatal(err)
	}
	yml := `services:
  a:
    image: busybox
    secrets: [{source: s, target: pw, uid: "1", gid: "2", mode: 0400}, ext]
    configs: [c]
secrets:
  s: {file: ./s.txt}
  ext: {external: true}
configs:
  c: {content: hello}
`
	f := filepath.Join(dir, "c.yml")
	if err := os.WriteFile(f, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := loadProject(context.Background(), []string{f}, "st", nil, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	secs, err := convertSecrets("st", p.Secrets)
	if err != nil {
		t.Fatal(err)
	}
	if len(secs) != 1 || secs[0].Name != "st_s" || string(secs[0].Data) != "pw" || secs[0].Labels[LabelNamespace] != "st" {
		t.Errorf("secrets %+v", secs)
	}
	cfgs, err := convertConfigs("st", p.Configs)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfgs) != 1 || cfgs[0].Name != "st_c" || string(cfgs[0].Data) != "hello" {
		t.Errorf("configs %+v", cfgs)
	}
	r := fileReference("st", types.FileReferenceConfig(p.Services["a"].Secrets[0]), p.Secrets["s"].Name)
	if r.name != "st_s" || r.file.Name != "pw" || r.file.UID != "1" || r.file.GID != "2" || r.file.Mode != 0o400 {
		t.Errorf("secret ref %+v", r)
	}
	r = fileReference("st", types.FileReferenceConfig(p.Services["a"].Secrets[1]), p.Secrets["ext"].Name)
	if r.name != "ext" || r.file.Name != "ext" || r.file.UID != "0" || r.file.Mode != 0o444 {
		t.Errorf("external secret ref %+v", r)
	}
}
