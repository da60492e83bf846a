package engine

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
)

// clis are the two front ends every test drives: ours and the official
// docker CLI (skipped when absent).
func clis(t *testing.T, d *testutil.Daemon) map[string]testutil.CLI {
	return testutil.CLIs(d)
}

func TestRunEchoAndExitCodes(t *testing.T) {
	d := daemon(t)
	for name, run := range clis(t, d) {
		t.Run(name, func(t *testing.T) {
			tests := []struct {
				args     []string
				wantOut  string
				wantCode int
			}{
				{[]string{"run", "--rm", "busybox", "echo", "hi"}, "hi\n", 0},
				{[]string{"run", "--rm", "busybox", "sh", "-c", "exit 3"}, "", 3},
				{[]string{"run", "--rm", "busybox", "sh", "-c", "echo out; sleep 0.2; echo err >&2"}, "out\nerr\n", 0},
				{[]string{"run", "--rm", "-e", "FOO=bar", "-w", "/tmp", "busybox", "sh", "-c", "echo $FOO $(pwd)"}, "bar /tmp\n", 0},
				{[]string{"run", "--rm", "-u", "nobody", "busybox", "id", "-u"}, "65534\n", 0},
				{[]string{"run", "--rm", "-h", "myhost", "busybox", "hostname"}, "myhost\n", 0},
				{[]string{"run", "--rm", "--entrypoint", "echo", "busybox", "a", "b"}, "a b\n", 0},
				{[]string{"run", "--rm", "--runtime", "runc", "busybox", "echo", "via runc"}, "via runc\n", 0},
				{[]string{"run", "--rm", "--read-only", "busybox", "touch", "/x"}, "", 1},
				{[]string{"run", "--rm", "--init", "busybox", "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '"}, "/sbin/docker-init -- sh -c cat /proc/1/cmdline | tr '\\0' ' ' ", 0},
				{[]string{"run", "--rm", "--cap-drop", "ALL", "busybox", "sh", "-c", "grep CapEff /proc/self/status"}, "CapEff:\t0000000000000000\n", 0},
				{[]string{"run", "--rm", "-m", "64m", "--pids-limit", "50", "busybox", "true"}, "", 0},
				{[]string{"run", "--rm", "busybox", "nosuchcmd"}, "", 127},
				{[]string{"run", "--rm", "busybox", "/etc/passwd"}, "", 126},
				{[]string{"run", "--rm", "--network", "none", "busybox", "sh", "-c", "ls /sys/class/net"}, "lo\n", 0},
			}
			for _, tt := range tests {
				out, err := run(tt.args...)
				if code := testutil.ExitCode(err); code != tt.wantCode {
					t.Errorf("%v: exit %d, want %d; output:\n%s", tt.args, code, tt.wantCode, out)
					continue
				}
				if tt.wantCode == 0 && out != tt.wantOut {
					t.Errorf("%v: output %q, want %q", tt.args, out, tt.wantOut)
				}
			}
		})
	}
}

func TestRunStdinAndTty(t *testing.T) {
	d := daemon(t)
	for name := range clis(t, d) {
		t.Run(name, func(t *testing.T) {
			bin := filepath.Join(d.Bin, "berth")
			if name == "docker" {
				bin, _ = exec.LookPath("docker")
			}
			cmd := exec.Command(bin, "run", "--rm", "-i", "busybox", "cat")
			cmd.Env = append(cmd.Environ(), "DOCKER_HOST="+d.Host)
			cmd.Stdin = strings.NewReader("through stdin\n")
			out, err := cmd.CombinedOutput()
			if err != nil || string(out) != "through stdin\n" {
				t.Fatalf("run -i cat: %v %q", err, out)
			}
		})
	}
}

func TestDetachedLifecycle(t *testing.T) {
	d := daemon(t)
	for name, run := range clis(t, d) {
		t.Run(name, func(t *testing.T) {
			cname := "lc-" + name
			out, err := run("run", "-d", "--name", cname, "busybox", "sh", "-c", "echo started; sleep 1000")
			if err != nil {
				t.Fatalf("run -d: %v %s", err, out)
			}
			id := strings.TrimSpace(out)
			if len(id) != 64 {
				t.Fatalf("run -d printed %q, want a 64-char ID", out)
			}
			defer run("rm", "-f", cname)
			waitFor(t, func() bool { o, _ := run("logs", cname); return o == "started\n" })

			out, _ = run("ps", "--format", "{{.Names}} {{.Status}}", "--filter", "name="+cname)
			if !strings.HasPrefix(out, cname+" Up ") {
				t.Errorf("ps: %q", out)
			}
			out, err = run("exec", cname, "sh", "-c", "echo in-exec; exit 5")
			if testutil.ExitCode(err) != 5 || out != "in-exec\n" {
				t.Errorf("exec: %v %q", err, out)
			}
			out, err = run("exec", "-u", "nobody", "-w", "/tmp", "-e", "X=1", cname, "sh", "-c", "echo $(id -u) $(pwd) $X")
			if err != nil || out != "65534 /tmp 1\n" {
				t.Errorf("exec -u -w -e: %v %q", err, out)
			}
			if out, err := run("pause", cname); err != nil {
				t.Errorf("pause: %v %s", err, out)
			}
			out, _ = run("inspect", "-f", "{{.State.Status}}", cname)
			if out != "paused\n" {
				t.Errorf("status after pause %q", out)
			}
			if out, err := run("unpause", cname); err != nil {
				t.Errorf("unpause: %v %s", err, out)
			}
			out, err = run("top", cname)
			if err != nil || !strings.Contains(out, "sleep 1000") {
				t.Errorf("top: %v %q", err, out)
			}
			out, err = run("rm", cname)
			if err == nil || !strings.Contains(out, "container is running") {
				t.Errorf("rm of running container: %v %q", err, out)
			}
			start := time.Now()
			if out, err := run("stop", "-t", "1", cname); err != nil {
				t.Errorf("stop: %v %s", err, out)
			}
			if time.Since(start) > 8*time.Second {
				t.Errorf("stop -t 1 took %v", time.Since(start))
			}
			out, _ = run("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", cname)
			if out != "exited 137\n" {
				t.Errorf("after stop: %q", out)
			}
			if out, err := run("start", cname); err != nil {
				t.Errorf("start: %v %s", err, out)
			}
			if out, err := run("rename", cname, cname+"-2"); err != nil {
				t.Errorf("rename: %v %s", err, out)
			}
			if out, err := run("rm", "-f", cname+"-2"); err != nil {
				t.Errorf("rm -f: %v %s", err, out)
			}
			out, err = run("inspect", cname)
			if err == nil || !strings.Contains(out, "No such") {
				t.Errorf("inspect after rm: %v %q", err, out)
			}
		})
	}
}

func TestPublishedPort(t *testing.T) {
	d := daemon(t)
	for name, run := range clis(t, d) {
		t.Run(name, func(t *testing.T) {
			port := freePort(t)
			cname := "web-" + name
			out, err := run("run", "-d", "--name", cname, "-p", fmt.Sprintf("127.0.0.1:%d:80", port), "busybox", "httpd", "-f", "-p", "80", "-h", "/var/www")
			if err != nil {
				t.Fatalf("run: %v %s", err, out)
			}
			defer run("rm", "-f", cname)
			var body string
			waitFor(t, func() bool {
				resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
				if err != nil {
					return false
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				body = string(b)
				return resp.StatusCode == 200
			})
			if !strings.Contains(body, "Hello from berth") {
				t.Errorf("page: %q", body)
			}
			out, err = run("port", cname)
			if err != nil || !strings.Contains(out, fmt.Sprintf("80/tcp -> 127.0.0.1:%d", port)) {
				t.Errorf("port: %v %q", err, out)
			}
		})
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("condition not met within 10s")
}
