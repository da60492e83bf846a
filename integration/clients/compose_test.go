package clients

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestComposeV1 drives Debian's docker-compose 1.29 (API v1.38 paths)
// through a project with a named volume, a user network with an alias, a
// published port, a service built from a Dockerfile, scale, one-off run,
// exec, top, stop/start/restart and down -v --rmi local.
func TestComposeV1(t *testing.T) {
	d := shared.Get(t)
	need(t, "docker-compose")
	project, port := uniq("cv"), freePort(t)
	compose := func(args ...string) (string, error) {
		cmd := exec.Command("docker-compose", args...)
		cmd.Dir = "testdata/compose"
		cmd.Env = append(os.Environ(), "DOCKER_HOST="+d.Host, "COMPOSE_PROJECT_NAME="+project, "WEB_PORT="+port)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := compose(args...)
		if err != nil {
			t.Fatalf("docker-compose %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	t.Cleanup(func() {
		if out, err := compose("down", "-v", "--rmi", "local", "-t", "1"); err != nil {
			t.Errorf("cleanup down: %v\n%s", err, out)
		}
	})

	if out := must("config", "--services"); strings.Fields(out)[0] != "web" || !strings.Contains(out, "worker") {
		t.Fatalf("config --services:\n%s", out)
	}
	if out := must("config"); !strings.Contains(out, "127.0.0.1:"+port+":80") && !strings.Contains(out, "published: "+port) {
		t.Fatalf("config did not interpolate WEB_PORT:\n%s", out)
	}
	if out := must("build"); !strings.Contains(out, "Successfully tagged "+project+"_built:latest") {
		t.Fatalf("build:\n%s", out)
	}
	must("up", "-d")
	if out := must("ps"); strings.Count(out, " Up ") != 3 || !strings.Contains(out, "127.0.0.1:"+port+"->80/tcp") {
		t.Fatalf("ps after up:\n%s", out)
	}
	if body := httpGet(t, "http://127.0.0.1:"+port+"/"); body != "hello from worker\n" {
		t.Fatalf("web through the published port: %q", body)
	}
	if out := must("exec", "-T", "worker", "sh", "-c", "echo $GREETING; wget -qO- http://web/; ping -c1 -W2 helper >/dev/null && echo alias"); out != "hi\nhello from worker\nalias\n" {
		t.Fatalf("exec -T: %q", out)
	}
	if out := strings.TrimSpace(must("port", "web", "80")); out != "127.0.0.1:"+port {
		t.Fatalf("port web 80: %q", out)
	}
	if out := must("logs", "--no-color", "worker"); !strings.Contains(out, "worker started") {
		t.Fatalf("logs worker:\n%s", out)
	}
	// The built image has the COPY and the RUN with the build arg.
	eventuallyContains(t, func() string { out, _ := compose("logs", "--no-color", "built"); return out },
		"copied into the image", "hi from the build")

	must("up", "-d", "--scale", "worker=3")
	if ids := strings.Fields(must("ps", "-q")); len(ids) != 5 {
		t.Fatalf("ps -q after scale worker=3: %v", ids)
	}
	if out := strings.Fields(must("ps", "--services")); len(out) != 3 {
		t.Fatalf("ps --services: %q", out)
	}
	if out := must("run", "--rm", "worker", "echo", "oneoff"); !strings.Contains(out, "oneoff") {
		t.Fatalf("run --rm:\n%s", out)
	}
	if ids := strings.Fields(must("ps", "-q")); len(ids) != 5 {
		t.Fatalf("the one-off container was not removed: %v", ids)
	}
	if out := must("top", "web"); !strings.Contains(out, "httpd -f -p 80") {
		t.Fatalf("top web:\n%s", out)
	}

	must("stop", "-t", "1")
	if out := must("ps"); strings.Contains(out, " Up ") || strings.Count(out, "Exit ") != 5 {
		t.Fatalf("ps after stop:\n%s", out)
	}
	must("start")
	must("restart", "-t", "1")
	if out := must("ps"); strings.Count(out, " Up ") != 5 {
		t.Fatalf("ps after start/restart:\n%s", out)
	}
	if body := httpGet(t, "http://127.0.0.1:"+port+"/"); body != "hello from worker\n" {
		t.Fatalf("web after restart (volume kept): %q", body)
	}

	must("down", "-v", "--rmi", "local", "-t", "1")
	run := d.Run
	if out, _ := run("ps", "-aq", "--filter", "label=com.docker.compose.project="+project); strings.TrimSpace(out) != "" {
		t.Fatalf("containers left after down:\n%s", out)
	}
	if out, _ := run("network", "ls", "-q", "--filter", "name="+project+"_front"); strings.TrimSpace(out) != "" {
		t.Fatalf("network left after down: %s", out)
	}
	if out, _ := run("volume", "ls", "-q", "--filter", "name="+project+"_site"); strings.TrimSpace(out) != "" {
		t.Fatalf("volume left after down -v: %s", out)
	}
	if out, _ := run("images", "-q", project+"_built"); strings.TrimSpace(out) != "" {
		t.Fatalf("built image left after down --rmi local: %s", out)
	}
}

// httpGet retries while the server in the container starts listening.
func httpGet(t *testing.T, url string) string {
	t.Helper()
	c := &http.Client{Timeout: 2 * time.Second}
	var last error
	for i := 0; i < 100; i++ {
		resp, err := c.Get(url)
		if err == nil {
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil {
				return string(b)
			}
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("GET %s: %v", url, last)
	return ""
}

// eventuallyContains polls get until its output holds every want.
func eventuallyContains(t *testing.T, get func() string, want ...string) {
	t.Helper()
	var out string
	for i := 0; i < 50; i++ {
		out = get()
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(out, w)
		}
		if ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("want %q in:\n%s", want, out)
}
