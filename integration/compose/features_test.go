package compose

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

func TestFileFeatures(t *testing.T) {
	ext := "cmpext" + itoa(freePort(t))
	p := newProject(t, "features", map[string]string{
		"app.env":    "FROM_ENV_FILE=yes\n",
		"secret.txt": "s3cret\n",
		"config.txt": "conf-content\n",
		"host/hello": "from-host\n",
		"compose.yaml": `services:
  app:
    image: busybox
    entrypoint: ["sh", "-c"]
    command: ["echo started; sleep 1000"]
    stop_grace_period: 0s
    env_file: [app.env]
    environment:
      - INLINE=1
    user: "1000:1000"
    working_dir: /srv
    init: true
    restart: unless-stopped
    hostname: apphost
    labels:
      x.custom: "v"
    logging:
      driver: json-file
      options:
        max-size: 1m
    mem_limit: 64m
    cpus: 0.5
    pids_limit: 100
    expose: ["7000", "7100-7101/udp"]
    read_only: false
    cap_add: [NET_ADMIN]
    extra_hosts: ["somehost:10.1.2.3"]
    tmpfs: ["/scratch:size=1m"]
    volumes:
      - ./host:/host:ro
      - type: tmpfs
        target: /tmpfs2
      - named:/named
      - extvol:/ext
    configs:
      - source: conf
        target: /etc/app.conf
      - inline
    secrets: [pw]
    networks:
      front:
        aliases: [app-alias]
        ipv4_address: 172.31.250.10
      back: {}
      outside: {}
  peer:
    image: busybox
    command: ["sleep", "1000"]
    stop_grace_period: 0s
    networks: [front]
    deploy:
      resources:
        limits:
          memory: 32m
          cpus: "0.25"
          pids: 50
        reservations:
          memory: 16m
networks:
  front:
    ipam:
      config:
        - subnet: 172.31.250.0/24
    labels:
      net.label: "1"
  back:
    driver_opts:
      com.docker.network.bridge.enable_icc: "true"
  outside:
    external: true
    name: ` + ext + `
volumes:
  named:
  extvol:
    external: true
    name: ` + ext + `
configs:
  conf:
    file: ./config.txt
  inline:
    content: inline-config
secrets:
  pw:
    file: ./secret.txt
`})
	// External objects must exist: Compose's message otherwise.
	out, _ := p.composeFail("up", "-d")
	mustContain(t, out, "network "+ext+" declared as external, but could not be found")
	if _, err := p.run("network", "create", ext); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.run("network", "rm", ext) })
	out, _ = p.composeFail("up", "-d")
	mustContain(t, out, `external volume "`+ext+`" not found`)
	if _, err := p.run("volume", "create", ext); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.run("volume", "rm", ext) })
	p.compose("up", "-d")

	ctx := context.Background()
	api := p.api()
	info, err := api.ContainerInspect(ctx, "features-app-1", client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := info.Container
	env := strings.Join(c.Config.Env, " ")
	for _, want := range []string{"FROM_ENV_FILE=yes", "INLINE=1"} {
		if !strings.Contains(env, want) {
			t.Errorf("env %q lacks %s", env, want)
		}
	}
	checks := map[string][2]string{
		"user":       {c.Config.User, "1000:1000"},
		"workdir":    {c.Config.WorkingDir, "/srv"},
		"hostname":   {c.Config.Hostname, "apphost"},
		"entrypoint": {strings.Join(c.Config.Entrypoint, " "), "sh -c"},
		"cmd":        {strings.Join(c.Config.Cmd, " "), "echo started; sleep 1000"},
		"restart":    {string(c.HostConfig.RestartPolicy.Name), "unless-stopped"},
		"label":      {c.Config.Labels["x.custom"], "v"},
		"log driver": {c.HostConfig.LogConfig.Type, "json-file"},
		"log opt":    {c.HostConfig.LogConfig.Config["max-size"], "1m"},
		"tmpfs":      {c.HostConfig.Tmpfs["/scratch"], "size=1m"},
		"extra host": {strings.Join(c.HostConfig.ExtraHosts, ","), "somehost:10.1.2.3"},
		"cap":        {strings.TrimPrefix(strings.Join(c.HostConfig.CapAdd, ","), "CAP_"), "NET_ADMIN"},
	}
	for k, v := range checks {
		if v[0] != v[1] {
			t.Errorf("%s = %q, want %q", k, v[0], v[1])
		}
	}
	if c.HostConfig.Init == nil || !*c.HostConfig.Init {
		t.Error("init not set")
	}
	if c.HostConfig.Memory != 64<<20 || c.HostConfig.NanoCPUs != 5e8 || c.HostConfig.PidsLimit == nil || *c.HostConfig.PidsLimit != 100 {
		t.Errorf("resources: mem %d cpus %d pids %v", c.HostConfig.Memory, c.HostConfig.NanoCPUs, c.HostConfig.PidsLimit)
	}
	if len(c.Config.ExposedPorts) != 3 {
		t.Errorf("exposed ports %v", c.Config.ExposedPorts)
	}
	front := c.NetworkSettings.Networks["features_front"]
	if front == nil || front.IPAddress.String() != "172.31.250.10" {
		t.Fatalf("front endpoint %+v", front)
	}
	if !strings.Contains(strings.Join(front.Aliases, ","), "app-alias") {
		t.Errorf("aliases %v", front.Aliases)
	}
	for _, n := range []string{"features_back", ext} {
		if c.NetworkSettings.Networks[n] == nil {
			t.Errorf("not on network %s: %v", n, c.NetworkSettings.Networks)
		}
	}
	nw, err := api.NetworkInspect(ctx, "features_back", client.NetworkInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if nw.Network.Options["com.docker.network.bridge.enable_icc"] != "true" {
		t.Errorf("driver opts %v", nw.Network.Options)
	}
	peer, err := api.ContainerInspect(ctx, "features-peer-1", client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if h := peer.Container.HostConfig; h.Memory != 32<<20 || h.NanoCPUs != 25e7 || h.MemoryReservation != 16<<20 || h.PidsLimit == nil || *h.PidsLimit != 50 {
		t.Errorf("deploy.resources: mem %d cpus %d res %d pids %v", h.Memory, h.NanoCPUs, h.MemoryReservation, h.PidsLimit)
	}

	// Inside: bind, tmpfs, configs, secrets, aliases resolving.
	for cmd, want := range map[string]string{
		"cat /host/hello":                        "from-host",
		"cat /etc/app.conf":                      "conf-content",
		"cat /inline":                            "inline-config",
		"cat /run/secrets/pw":                    "s3cret",
		"grep -c ' /tmpfs2 tmpfs' /proc/mounts":  "1",
		"grep -c ' /scratch tmpfs' /proc/mounts": "1",
		"touch /host/x 2>/dev/null || echo ro":   "ro",
		"id -u":                                  "1000",
	} {
		out, err := p.run("compose", "exec", "-T", "app", "sh", "-c", cmd)
		if err != nil || strings.TrimSpace(out) != want {
			t.Errorf("%s: %q (%v), want %q", cmd, out, err, want)
		}
	}
	out, err = p.run("compose", "exec", "-T", "peer", "sh", "-c", "ping -c1 -W2 app-alias >/dev/null && ping -c1 -W2 app >/dev/null && echo ok")
	if err != nil || strings.TrimSpace(out) != "ok" {
		t.Errorf("peer resolving app-alias and app: %q %v", out, err)
	}
	// The external network and volume survive down -v.
	p.compose("down", "-v", "-t", "0")
	if _, err := api.NetworkInspect(ctx, ext, client.NetworkInspectOptions{}); err != nil {
		t.Errorf("external network removed: %v", err)
	}
	if _, err := api.VolumeInspect(ctx, ext, client.VolumeInspectOptions{}); err != nil {
		t.Errorf("external volume removed: %v", err)
	}
}

func TestSharedNamespaces(t *testing.T) {
	p := newProject(t, "shared", map[string]string{"compose.yaml": `services:
  a:
    image: busybox
    container_name: shared-main
    command: ["sh", "-c", "mkdir -p /www /vol && echo from-a > /www/index.html && echo vol-a > /vol/f && exec httpd -f -p 8081 -h /www"]
    volumes: ["/vol"]
    stop_grace_period: 0s
  b:
    image: busybox
    network_mode: "service:a"
    volumes_from: [a]
    command: ["sleep", "1000"]
    stop_grace_period: 0s
`})
	p.compose("up", "-d")
	cs := p.containers()
	if _, ok := cs["shared-main"]; !ok {
		t.Fatalf("container_name not used: %v", cs)
	}
	info, err := p.api().ContainerInspect(context.Background(), "shared-b-1", client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The engine records the joined container by ID, as dockerd does.
	if got := string(info.Container.HostConfig.NetworkMode); got != "container:shared-main" && got != "container:"+cs["shared-main"].ID {
		t.Errorf("network mode %q", got)
	}
	eventually(t, 10*time.Second, func() error {
		out, err := p.run("compose", "exec", "-T", "b", "sh", "-c", "wget -qO- http://127.0.0.1:8081/ && cat /vol/f")
		if err != nil || !strings.Contains(out, "from-a") || !strings.Contains(out, "vol-a") {
			return errorf("b through a's namespace and volumes: %q %v", out, err)
		}
		return nil
	})
	out, _ := p.composeFail("up", "-d", "--scale", "a=2")
	mustContain(t, out, `container_name "shared-main" is set`)
}
