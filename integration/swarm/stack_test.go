package swarm

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
)

// The get-started part 5 stack (docker-compose3.yml) as the tutorial types
// it, with busybox standing in for the Python app, the visualizer and
// Redis (no public registry is reachable here): web comes from our own
// registry, the visualizer talks to the daemon through its mounted socket,
// redis keeps its data in a host directory.
const getStartedStack = `version: "3"
services:
  web:
    # replace username/repo:tag with your name and image details
    image: REGISTRY/username/repo:tag
    command: sh -c 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www'
    deploy:
      replicas: 5
      restart_policy:
        condition: on-failure
      resources:
        limits:
          cpus: "0.1"
          memory: 50M
    ports:
      - "PORT:80"
    networks:
      - webnet
  visualizer:
    image: busybox
    command: sh -c 'mkdir -p /www && echo visualizer > /www/index.html && exec httpd -f -p 8080 -h /www'
    ports:
      - "VPORT:8080"
    volumes:
      - "SOCK:/var/run/docker.sock"
    deploy:
      placement:
        constraints: [node.role == manager]
    networks:
      - webnet
  redis:
    image: busybox
    command: sh -c 'echo saved > /data/dump.rdb; mkdir -p /www && echo redis-here > /www/index.html && exec httpd -f -p 6379 -h /www'
    ports:
      - "RPORT:6379"
    volumes:
      - "DATA:/data"
    deploy:
      placement:
        constraints: [node.role == manager]
    networks:
      - webnet
networks:
  webnet:
`

// TestGetStartedStack: `docker stack deploy -c docker-compose.yml
// getstartedlab` as the tutorial types it: the overlay network, five web
// replicas pulled from our registry behind the routing mesh, the
// visualizer with the daemon's socket and redis with its data directory
// (both on managers), web reaching redis by its service name (VIP);
// stack rm removes it all.
func TestGetStartedStack(t *testing.T) {
	d := initSwarm(t)
	port, vport, rport := freePort(t), freePort(t), freePort(t)
	dir, data := t.TempDir(), t.TempDir()
	reg := startRegistry(t, d)
	ref := reg + "/username/repo:tag"
	cli(t, d, "tag", "busybox", ref)
	cli(t, d, "push", ref)
	cli(t, d, "rmi", ref) // the node must pull it
	t.Cleanup(func() { _, _ = d.Docker(t, "rmi", ref) })
	stack := stackFile(ref, port, vport, rport, d.Sock, data)
	if err := os.WriteFile(filepath.Join(dir, "docker-compose.yml"), []byte(stack), 0o644); err != nil {
		t.Fatal(err)
	}
	out := cli(t, d, "stack", "deploy", "-c", filepath.Join(dir, "docker-compose.yml"), "getstartedlab")
	for _, want := range []string{"Creating network getstartedlab_webnet", "Creating service getstartedlab_web", "Creating service getstartedlab_visualizer", "Creating service getstartedlab_redis"} {
		if !strings.Contains(out, want) {
			t.Errorf("stack deploy output lacks %q:\n%s", want, out)
		}
	}
	replicas(t, d, "getstartedlab_web", "5/5")
	replicas(t, d, "getstartedlab_visualizer", "1/1")
	replicas(t, d, "getstartedlab_redis", "1/1")
	if got := cli(t, d, "network", "ls", "--filter", "name=getstartedlab_webnet", "--format", "{{.Driver}} {{.Scope}}"); got != "overlay swarm" {
		t.Errorf("stack network: %q", got)
	}
	seen := map[string]bool{}
	c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	eventually(t, d, 30*time.Second, "every web replica answers on the published port", func() string {
		resp, err := c.Get("http://127.0.0.1:" + port + "/")
		if err != nil {
			return err.Error()
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		seen[strings.TrimSpace(string(b))] = true
		if len(seen) < 5 {
			return "seen: " + strings.Join(keys(seen), " ")
		}
		return ""
	})
	web := taskContainers(t, d, "getstartedlab_web")[0]
	// The VIP gets its backend once the nodes learnt the running task
	// (the catalog, within a second or so).
	eventually(t, d, 30*time.Second, "web -> redis by service name", func() string {
		if got, err := d.Docker(t, "exec", web, "timeout", "3", "wget", "-qO-", "http://redis:6379/"); err != nil || strings.TrimSpace(got) != "redis-here" {
			return fmt.Sprintf("%v %q", err, got)
		}
		return ""
	})
	if _, err := d.Docker(t, "image", "inspect", ref); err != nil {
		t.Errorf("web's image was not pulled from the registry: %v", err)
	}
	for _, c := range []struct{ port, want string }{{vport, "visualizer"}, {rport, "redis-here"}} {
		eventually(t, d, 30*time.Second, "published port "+c.port, func() string {
			resp, err := c2get(c2, "http://127.0.0.1:"+c.port+"/")
			if err != nil || resp != c.want {
				return fmt.Sprintf("%v %q", err, resp)
			}
			return ""
		})
	}
	vis := taskContainers(t, d, "getstartedlab_visualizer")[0]
	if out, err := d.Docker(t, "exec", vis, "test", "-S", "/var/run/docker.sock"); err != nil {
		t.Errorf("visualizer without the daemon's socket: %v %s", err, out)
	}
	if b, err := os.ReadFile(filepath.Join(data, "dump.rdb")); err != nil || strings.TrimSpace(string(b)) != "saved" {
		t.Errorf("redis data on the host: %v %q", err, b)
	}
	if ls := cli(t, d, "stack", "ls", "--format", "{{.Name}} {{.Services}}"); ls != "getstartedlab 3" {
		t.Errorf("stack ls: %q", ls)
	}
	cli(t, d, "stack", "rm", "getstartedlab")
	eventually(t, d, 30*time.Second, "stack removed", func() string {
		if c := taskContainers(t, d, "getstartedlab_web"); len(c) > 0 {
			return "tasks left"
		}
		if n := cli(t, d, "network", "ls", "-q", "--filter", "name=getstartedlab_webnet"); n != "" {
			return "network left"
		}
		return ""
	})
}

var c2 = &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

func c2get(c *http.Client, url string) (string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b)), err
}

// startRegistry runs our registry on a free 127.0.0.1 port for the test
// and returns its host:port; extra are more `registry serve` flags.
func startRegistry(t *testing.T, d *testutil.Daemon, extra ...string) string {
	t.Helper()
	addr := "127.0.0.1:" + freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	args := append([]string{"registry", "serve", "--addr", addr, "--root", t.TempDir(), "--log-level", "warn"}, extra...)
	reg := exec.CommandContext(ctx, filepath.Join(d.Bin, "berth"), args...)
	if err := reg.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = reg.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := c2.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("registry on %s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stackFile is getStartedStack with web's image, the published ports, the
// daemon socket and redis's data directory filled in.
func stackFile(webImage, port, vport, rport, sock, data string) string {
	return strings.NewReplacer("REGISTRY/username/repo:tag", webImage, "VPORT", vport, "RPORT", rport, "PORT", port,
		"SOCK", sock, "DATA", data).Replace(getStartedStack)
}
