package swarm

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The get-started part 3-5 stack, with busybox httpd standing in for the
// Python app and Redis (no registry is reachable here).
const getStartedStack = `version: "3"
services:
  web:
    image: busybox
    command: sh -c 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www'
    deploy:
      replicas: 3
      resources:
        limits:
          cpus: "0.1"
          memory: 50M
      restart_policy:
        condition: on-failure
    ports:
      - "PORT:80"
    networks:
      - webnet
  redis:
    image: busybox
    command: sh -c 'mkdir -p /www && echo redis-here > /www/index.html && exec httpd -f -p 6379 -h /www'
    deploy:
      placement:
        constraints: [node.role == manager]
    networks:
      - webnet
networks:
  webnet:
`

// TestGetStartedStack: `docker stack deploy -c docker-compose.yml
// getstartedlab` as the tutorial types it: the overlay network (a bridge
// on this node), web replicas behind the published port, redis reached by
// its service name from web, stack rm removes it all.
func TestGetStartedStack(t *testing.T) {
	d := initSwarm(t)
	port := freePort(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "docker-compose.yml"), []byte(strings.ReplaceAll(getStartedStack, "PORT", port)), 0o644); err != nil {
		t.Fatal(err)
	}
	out := cli(t, d, "stack", "deploy", "-c", filepath.Join(dir, "docker-compose.yml"), "getstartedlab")
	for _, want := range []string{"Creating network getstartedlab_webnet", "Creating service getstartedlab_web", "Creating service getstartedlab_redis"} {
		if !strings.Contains(out, want) {
			t.Errorf("stack deploy output lacks %q:\n%s", want, out)
		}
	}
	replicas(t, d, "getstartedlab_web", "3/3")
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
		if len(seen) < 3 {
			return "seen: " + strings.Join(keys(seen), " ")
		}
		return ""
	})
	web := taskContainers(t, d, "getstartedlab_web")[0]
	if got := cli(t, d, "exec", web, "wget", "-qO-", "http://redis:6379/"); got != "redis-here" {
		t.Errorf("web -> redis by service name: %q", got)
	}
	if ls := cli(t, d, "stack", "ls", "--format", "{{.Name}} {{.Services}}"); ls != "getstartedlab 2" {
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
