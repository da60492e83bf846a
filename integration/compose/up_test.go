package compose

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// webFile is the thin path: a busybox httpd published on 127.0.0.1 and a
// client that reaches it by service name on the default network, with a
// named volume.
func webFile(port int) string {
	return fmt.Sprintf(`services:
  web:
    image: busybox
    command: ["sh", "-c", "mkdir -p /www && echo hello-from-web > /www/index.html && echo $$(date) >> /data/starts && exec httpd -f -p 80 -h /www"]
    ports:
      - "127.0.0.1:%d:80"
    volumes:
      - data:/data
    stop_grace_period: 1s
  client:
    image: busybox
    command: ["sh", "-c", "while true; do wget -qO- http://web/ && sleep 1; done"]
    depends_on:
      - web
    stop_grace_period: 1s
volumes:
  data:
`, port)
}

func httpGet(url string) (string, error) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestUpPsLogsDown(t *testing.T) {
	port := freePort(t)
	p := newProject(t, "thinpath", map[string]string{"compose.yaml": webFile(port)})
	out := p.compose("up", "-d")
	mustContain(t, out,
		" Network thinpath_default  Created",
		` Volume "thinpath_data"  Created`,
		" Container thinpath-web-1  Started",
		" Container thinpath-client-1  Started")
	// The dependency starts first.
	if strings.Index(out, "thinpath-web-1  Started") > strings.Index(out, "thinpath-client-1  Starting") {
		t.Fatalf("client started before web:\n%s", out)
	}

	cs := p.containers()
	web, ok := cs["thinpath-web-1"]
	if !ok || len(cs) != 2 {
		t.Fatalf("containers: %v", cs)
	}
	hash := strings.Fields(p.compose("config", "--hash", "web"))
	for k, want := range map[string]string{
		"com.docker.compose.project":              "thinpath",
		"com.docker.compose.service":              "web",
		"com.docker.compose.container-number":     "1",
		"com.docker.compose.oneoff":               "False",
		"com.docker.compose.project.working_dir":  p.Dir,
		"com.docker.compose.project.config_files": p.Dir + "/compose.yaml",
		"com.docker.compose.config-hash":          hash[1],
	} {
		if got := web.Labels[k]; got != want {
			t.Errorf("label %s = %q, want %q", k, got, want)
		}
	}
	if web.Labels["com.docker.compose.version"] == "" {
		t.Error("no version label")
	}
	if got := cs["thinpath-client-1"].Labels["com.docker.compose.depends_on"]; got != "web:service_started:false" {
		t.Errorf("depends_on label = %q", got)
	}
	ctx := context.Background()
	nw, err := p.api().NetworkInspect(ctx, "thinpath_default", client.NetworkInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if nw.Network.Labels["com.docker.compose.network"] != "default" || nw.Network.Labels["com.docker.compose.project"] != "thinpath" {
		t.Errorf("network labels %v", nw.Network.Labels)
	}
	vol, err := p.api().VolumeInspect(ctx, "thinpath_data", client.VolumeInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if vol.Volume.Labels["com.docker.compose.volume"] != "data" {
		t.Errorf("volume labels %v", vol.Volume.Labels)
	}

	eventually(t, 10*time.Second, func() error {
		body, err := httpGet(fmt.Sprintf("http://127.0.0.1:%d/", port))
		if err == nil && !strings.Contains(body, "hello-from-web") {
			err = fmt.Errorf("body %q", body)
		}
		return err
	})
	// The client reaches web by its service name.
	eventually(t, 15*time.Second, func() error {
		out := p.compose("logs", "client")
		if !strings.Contains(out, "client-1  | hello-from-web") {
			return fmt.Errorf("client logs: %q", out)
		}
		return nil
	})
	ps := p.compose("ps")
	mustContain(t, ps, "NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS",
		"thinpath-web-1", "thinpath-client-1", fmt.Sprintf("127.0.0.1:%d->80/tcp", port))
	if got := strings.Fields(p.compose("ps", "--services")); strings.Join(got, ",") != "client,web" {
		t.Errorf("ps --services = %v", got)
	}
	if got := strings.Fields(p.compose("ps", "-q")); len(got) != 2 {
		t.Errorf("ps -q = %v", got)
	}
	mustContain(t, p.compose("ps", "--format", "{{.Service}}:{{.State}}"), "web:running", "client:running")
	mustContain(t, p.compose("ps", "--format", "json"), `"Service":"web"`, `"Project":"thinpath"`)
	if tail := strings.Split(strings.TrimSpace(p.compose("logs", "--tail", "1", "client")), "\n"); len(tail) != 1 || tail[0] != "client-1  | hello-from-web" {
		t.Errorf("logs --tail 1: %q", tail)
	}
	mustContain(t, p.compose("ls"), "thinpath", "running(2)", p.Dir+"/compose.yaml")

	// A second up changes nothing.
	out = p.compose("up", "-d")
	mustContain(t, out, "Container thinpath-web-1  Running", "Container thinpath-client-1  Running")
	mustNotContain(t, out, "Recreate", "Creating")
	if p.containers()["thinpath-web-1"].ID != web.ID {
		t.Fatal("second up recreated web")
	}

	out = p.compose("down")
	mustContain(t, out, "Container thinpath-web-1  Removed", "Network thinpath_default  Removed")
	if strings.Index(out, "thinpath-client-1  Stopping") > strings.Index(out, "thinpath-web-1  Stopping") {
		t.Errorf("down stopped web before its dependent:\n%s", out)
	}
	if cs := p.containers(); len(cs) != 0 {
		t.Fatalf("containers after down: %v", cs)
	}
	if _, err := p.api().NetworkInspect(ctx, "thinpath_default", client.NetworkInspectOptions{}); err == nil {
		t.Fatal("network survived down")
	}
	// The named volume survives down and keeps its data across up.
	p.compose("up", "-d", "web")
	eventually(t, 10*time.Second, func() error {
		out, err := p.run("exec", "thinpath-web-1", "sh", "-c", "wc -l < /data/starts")
		if err == nil && strings.TrimSpace(out) != "2" {
			err = fmt.Errorf("starts: %q", out)
		}
		return err
	})
	out = p.compose("down", "-v")
	mustContain(t, out, "Volume thinpath_data  Removed")
	if _, err := p.api().VolumeInspect(ctx, "thinpath_data", client.VolumeInspectOptions{}); err == nil {
		t.Fatal("volume survived down -v")
	}
	if leaks := p.d.Leaks(); leaks != "" {
		t.Fatalf("leaks after down -v:\n%s", leaks)
	}
}
