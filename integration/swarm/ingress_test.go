package swarm

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestIngressPublishedPort: `-p PORT:80` on a 3-replica service opens one
// port on the node that spreads connections over the tasks; scaling to 0
// closes it.
func TestIngressPublishedPort(t *testing.T) {
	d := initSwarm(t)
	port := freePort(t)
	cli(t, d, "service", "create", "--name", "web", "--replicas", "3", "-p", port+":80", "--stop-grace-period", "1s", "-d",
		"busybox", "sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www")
	replicas(t, d, "web", "3/3")
	if ports := cli(t, d, "service", "ls", "--format", "{{.Ports}}"); !strings.Contains(ports, "*:"+port+"->80/tcp") {
		t.Errorf("service ls ports: %q", ports)
	}
	seen := map[string]bool{}
	c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	eventually(t, d, 30*time.Second, "responses from every task", func() string {
		resp, err := c.Get("http://127.0.0.1:" + port + "/")
		if err != nil {
			return err.Error()
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		seen[strings.TrimSpace(string(b))] = true
		if len(seen) < 3 {
			return "hosts seen: " + strings.Join(keys(seen), " ")
		}
		return ""
	})
	cli(t, d, "service", "scale", "-d", "web=0")
	eventually(t, d, 30*time.Second, "port closed after scale to 0", func() string {
		resp, err := c.Get("http://127.0.0.1:" + port + "/")
		if err != nil {
			return ""
		}
		resp.Body.Close()
		return "still answering"
	})
	cli(t, d, "service", "rm", "web")
	// -p 80: the cluster picks the published port (30000 and up), as
	// dockerd's does.
	cli(t, d, "service", "create", "-d", "--name", "auto", "-p", "80", "--stop-grace-period", "1s",
		"busybox", "sh", "-c", "mkdir -p /www && echo auto > /www/index.html && exec httpd -f -p 80 -h /www")
	replicas(t, d, "auto", "1/1")
	pub := cli(t, d, "service", "inspect", "--format", "{{range .Endpoint.Ports}}{{.PublishedPort}}{{end}}", "auto")
	if n, err := strconv.Atoi(pub); err != nil || n < 30000 || n > 32767 {
		t.Fatalf("published port picked: %q", pub)
	}
	eventually(t, d, 30*time.Second, "the picked port answers", func() string {
		resp, err := c.Get("http://127.0.0.1:" + pub + "/")
		if err != nil {
			return err.Error()
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.TrimSpace(string(b)) != "auto" {
			return string(b)
		}
		return ""
	})
	cli(t, d, "service", "rm", "auto")
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
