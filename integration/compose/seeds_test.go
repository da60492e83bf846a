package compose

import (
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// seedProject copies testdata/<name> into a project directory called dir.
func seedProject(t *testing.T, name, dir string) *project {
	t.Helper()
	files := map[string]string{}
	modes := map[string]fs.FileMode{}
	root := filepath.Join("testdata", name)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		files[rel] = string(b)
		info, _ := d.Info()
		modes[rel] = info.Mode()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	p := newProject(t, dir, files)
	for rel, m := range modes {
		if err := os.Chmod(filepath.Join(p.Dir, rel), m); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// freePortRange finds n consecutive free ports on 127.0.0.1.
func freePortRange(t *testing.T, n int) int {
	t.Helper()
	for try := 0; try < 50; try++ {
		base := 20000 + (freePort(t)+try*97)%20000
		ok := true
		for i := 0; i < n && ok; i++ {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+i))
			if err != nil {
				ok = false
				continue
			}
			l.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free port range")
	return 0
}

var visitsRE = regexp.MustCompile(`<b>Hostname:</b> (\S+)<br/><b>Visits:</b> (\d+)`)

func TestSeedFriendlyHello(t *testing.T) {
	p := seedProject(t, "friendlyhello", "getstartedlab")
	base := freePortRange(t, 5)
	p.env = []string{fmt.Sprintf("WEB_PORTS=%d-%d", base, base+4)}
	p.compose("up", "-d")
	// compose-go warns that `version` is obsolete, as Compose does.
	out := p.compose("ps", "--services", "--status", "running")
	mustContain(t, out, "the attribute `version` is obsolete", "\nredis\nweb\n")
	if n := strings.Count(p.compose("ps", "-q", "web"), "\n") - 1; n != 5 {
		t.Fatalf("web replicas: %d", n)
	}
	hosts := map[string]bool{}
	last := 0
	for i := 0; i < 5; i++ {
		var body string
		eventually(t, 10*time.Second, func() error {
			var err error
			body, err = httpGet(fmt.Sprintf("http://127.0.0.1:%d/", base+i))
			if err == nil && !visitsRE.MatchString(body) {
				err = fmt.Errorf("body %q", body)
			}
			return err
		})
		m := visitsRE.FindStringSubmatch(body)
		hosts[m[1]] = true
		var n int
		fmt.Sscan(m[2], &n)
		if n != last+1 {
			t.Fatalf("visit %d counted as %d", last+1, n)
		}
		last = n
	}
	if len(hosts) != 5 {
		t.Errorf("hostnames %v: want one per replica", hosts)
	}
	// The count lives in the volume: down/up continues it.
	p.compose("down")
	p.compose("up", "-d")
	eventually(t, 10*time.Second, func() error {
		body, err := httpGet(fmt.Sprintf("http://127.0.0.1:%d/", base))
		if err != nil {
			return err
		}
		if m := visitsRE.FindStringSubmatch(body); m == nil || m[2] != fmt.Sprint(last+1) {
			return fmt.Errorf("after down/up: %q (want visit %d)", body, last+1)
		}
		return nil
	})
	p.compose("down", "-v")
	if out, _ := p.run("volume", "ls", "-q"); strings.Contains(out, "getstartedlab_redis-data") {
		t.Fatal("down -v left the volume")
	}
}

func TestSeedVisualizer(t *testing.T) {
	p := seedProject(t, "visualizer", "stack-test")
	base := freePortRange(t, 3)
	p.env = []string{fmt.Sprintf("WEB_PORTS=%d-%d", base, base+1), fmt.Sprintf("VIZ_PORT=%d", base+2), "DOCKER_SOCK=" + p.d.Sock}
	out := p.compose("up", "-d")
	mustContain(t, out, "Network stack-test_webnet  Created", "Container stack-test-visualizer-1  Started", "Container stack-test-web-2  Started")
	eventually(t, 10*time.Second, func() error {
		body, err := httpGet(fmt.Sprintf("http://127.0.0.1:%d/", base+2))
		if err == nil && !strings.Contains(body, "Visualizer") {
			err = fmt.Errorf("visualizer: %q", body)
		}
		return err
	})
	// The visualizer sees the engine's socket.
	if out, err := p.run("compose", "exec", "-T", "visualizer", "test", "-S", "/var/run/docker.sock"); err != nil {
		t.Fatalf("socket not mounted: %v %s", err, out)
	}
	p.compose("down")
}

func TestSeedDjango(t *testing.T) {
	p := seedProject(t, "django", "django")
	port := freePort(t)
	p.env = []string{fmt.Sprintf("WEB_PORT=%d", port)}
	// Step 1 of the chapter: a one-off run builds the web image first.
	out := p.compose("run", "--rm", "-T", "web", "sh", "-c", "pwd; ls /code")
	mustContain(t, out, "Image django-web  Built", "/code", "docker-compose.yml")
	out = p.compose("up", "-d")
	if strings.Index(out, "django-db-1  Started") > strings.Index(out, "django-web-1  Starting") {
		t.Fatalf("web started before db:\n%s", out)
	}
	eventually(t, 15*time.Second, func() error {
		body, err := httpGet(fmt.Sprintf("http://127.0.0.1:%d/index.html", port))
		if err == nil && !strings.Contains(body, "It worked!") {
			err = fmt.Errorf("web: %q", body)
		}
		return err
	})
	mustContain(t, p.compose("logs", "web"), "web-1  | Starting development server at http://0.0.0.0:8000/")
	// A one-off run next to the running project, linked to db.
	out = p.compose("run", "--rm", "-T", "web", "sh", "-c", "nc db 5432 </dev/null")
	mustContain(t, out, "postgres ready")
	p.compose("down", "--rmi", "local")
	if _, err := p.run("image", "inspect", "django-web"); err == nil {
		t.Error("down --rmi local kept the built image")
	}
}
