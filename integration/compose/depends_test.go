package compose

import (
	"context"
	"strings"
	"testing"

	"github.com/moby/moby/client"
)

func TestDependsOnCompleted(t *testing.T) {
	p := newProject(t, "deps", map[string]string{"compose.yaml": `services:
  init:
    image: busybox
    command: ["sh", "-c", "sleep 1; echo done > /shared/ready"]
    volumes: [shared:/shared]
  app:
    image: busybox
    command: ["sh", "-c", "cat /shared/ready && sleep 1000"]
    stop_grace_period: 0s
    volumes: [shared:/shared]
    depends_on:
      init:
        condition: service_completed_successfully
volumes:
  shared:
`})
	out := p.compose("up", "-d")
	mustContain(t, out, "Container deps-init-1  Waiting", "Container deps-init-1  Exited", "Container deps-app-1  Started")
	if strings.Index(out, "deps-init-1  Exited") > strings.Index(out, "deps-app-1  Starting") {
		t.Fatalf("app started before init completed:\n%s", out)
	}
	mustContain(t, p.compose("logs", "app"), "app-1  | done")

	// A failing dependency stops up with Compose's message and exit 1.
	writeFile(t, p.Dir+"/compose.yaml", `services:
  init:
    image: busybox
    command: ["sh", "-c", "exit 3"]
  app:
    image: busybox
    command: ["sleep", "1000"]
    depends_on:
      init:
        condition: service_completed_successfully
`)
	p.compose("down", "-t", "0")
	out, code := p.composeFail("up", "-d")
	mustContain(t, out, `service "init" didn't complete successfully: exit 3`)
	if code != 1 {
		t.Errorf("exit code %d", code)
	}
	if st := p.containers()["deps-app-1"].State; st != "created" {
		t.Errorf("app state %q after failed dependency, want created", st)
	}
}

func TestDependsOnHealthy(t *testing.T) {
	p := newProject(t, "health", map[string]string{"compose.yaml": `services:
  db:
    image: busybox
    command: ["sh", "-c", "sleep 1; touch /tmp/up; sleep 1000"]
    stop_grace_period: 0s
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/up"]
      interval: 500ms
      timeout: 2s
      retries: 20
  web:
    image: busybox
    command: ["sleep", "1000"]
    stop_grace_period: 0s
    depends_on:
      db:
        condition: service_healthy
`})
	// Health checks belong to the engine: skip where a running container
	// with a check has no health state yet.
	p.compose("up", "-d", "--no-deps", "db")
	info, err := p.api().ContainerInspect(context.Background(), "health-db-1", client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if info.Container.State.Health == nil {
		t.Skip("the daemon reports no State.Health for a container with a healthcheck (health checks not merged yet)")
	}
	p.compose("down", "-t", "0")
	out := p.compose("up", "-d")
	mustContain(t, out, "Container health-db-1  Healthy", "Container health-web-1  Started")
	if strings.Index(out, "health-db-1  Healthy") > strings.Index(out, "health-web-1  Starting") {
		t.Fatalf("web started before db was healthy:\n%s", out)
	}
}

func TestDependsOnCycle(t *testing.T) {
	p := newProject(t, "cycle", map[string]string{"compose.yaml": `services:
  a:
    image: busybox
    depends_on: [b]
  b:
    image: busybox
    depends_on: [a]
`})
	out, code := p.composeFail("up", "-d")
	mustContain(t, out, "dependency cycle detected")
	if code != 1 || len(p.containers()) != 0 {
		t.Fatalf("exit %d, containers %v", code, p.containers())
	}
}

// TestFailedUpThenDown: an up that fails halfway (a container that cannot
// start) leaves labelled objects that down removes completely.
func TestFailedUpThenDown(t *testing.T) {
	p := newProject(t, "halfway", map[string]string{"compose.yaml": `services:
  ok:
    image: busybox
    command: ["sleep", "1000"]
    stop_grace_period: 0s
    volumes: [vol:/v]
  broken:
    image: busybox
    command: ["/no/such/binary"]
    depends_on: [ok]
volumes:
  vol:
`})
	out, code := p.composeFail("up", "-d")
	mustContain(t, out, "Container halfway-broken-1  Error", "Error response from daemon")
	if code != 1 {
		t.Errorf("exit code %d", code)
	}
	if cs := p.containers(); cs["halfway-ok-1"].State != "running" || cs["halfway-broken-1"].ID == "" {
		t.Fatalf("state after the failed up: %v", cs)
	}
	p.compose("down", "-v", "-t", "0")
	if cs := p.containers(); len(cs) != 0 {
		t.Fatalf("down left %v", cs)
	}
	for _, args := range [][]string{
		{"network", "ls", "-q", "--filter", "label=com.docker.compose.project=halfway"},
		{"volume", "ls", "-q", "--filter", "label=com.docker.compose.project=halfway"},
	} {
		if out, _ := p.run(args...); strings.TrimSpace(out) != "" {
			t.Errorf("%v left %q", args, out)
		}
	}
}
