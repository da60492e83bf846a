package compose

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
)

const svcFile = `services:
  web:
    image: busybox
    command: ["sleep", "1000"]
    stop_grace_period: 0s
    environment:
      GREETING: hi
    working_dir: /tmp
  db:
    image: busybox
    command: ["sleep", "1000"]
    stop_grace_period: 0s
  tool:
    image: busybox
    depends_on: [db]
    environment:
      FROM_FILE: file
`

func TestRunExec(t *testing.T) {
	p := newProject(t, "runexec", map[string]string{"compose.yaml": svcFile})
	p.compose("up", "-d", "web")

	out := p.compose("exec", "-T", "web", "sh", "-c", "echo $GREETING from $(pwd)")
	if strings.TrimSpace(out) != "hi from /tmp" {
		t.Errorf("exec: %q", out)
	}
	out = p.compose("exec", "-T", "-e", "X=1", "-w", "/", "web", "sh", "-c", "echo $X $(pwd)")
	if strings.TrimSpace(out) != "1 /" {
		t.Errorf("exec -e -w: %q", out)
	}
	if _, code := p.composeFail("exec", "-T", "web", "sh", "-c", "exit 7"); code != 7 {
		t.Errorf("exec exit code %d, want 7", code)
	}

	// run starts the dependencies, runs the one-off container with the
	// service's environment plus -e, and removes it with --rm.
	out = p.compose("run", "--rm", "-T", "-e", "EXTRA=x", "tool", "sh", "-c", "echo $FROM_FILE $EXTRA")
	mustContain(t, out, "file x", "Container runexec-db-1  Started")
	cs := p.containers()
	if cs["runexec-db-1"].State != "running" {
		t.Errorf("run did not start the dependency: %v", cs)
	}
	for name := range cs {
		if strings.Contains(name, "-run-") {
			t.Errorf("--rm left %s", name)
		}
	}
	// The exit code comes through; --no-deps starts nothing else.
	p.compose("stop", "db")
	if _, code := p.composeFail("run", "--rm", "-T", "--no-deps", "tool", "sh", "-c", "exit 4"); code != 4 {
		t.Errorf("run exit code %d, want 4", code)
	}
	if st := p.containers()["runexec-db-1"].State; st != "exited" {
		t.Errorf("--no-deps started db (%s)", st)
	}
	// Without --rm the one-off container stays, labelled as one.
	p.compose("run", "-T", "--no-deps", "tool", "true")
	var oneoff *containerInfo
	for name, c := range p.containers() {
		if strings.HasPrefix(name, "runexec-tool-run-") {
			c := c
			oneoff = &c
		}
	}
	if oneoff == nil || oneoff.Labels["com.docker.compose.oneoff"] != "True" || oneoff.Labels["com.docker.compose.slug"] == "" {
		t.Fatalf("one-off container: %+v", oneoff)
	}
	// ps leaves one-off containers out; down removes them.
	mustNotContain(t, p.compose("ps", "-a"), "-run-")
	p.compose("down", "-t", "0")
	if cs := p.containers(); len(cs) != 0 {
		t.Fatalf("after down: %v", cs)
	}
}

func TestLifecycle(t *testing.T) {
	port := freePort(t)
	p := newProject(t, "life", map[string]string{"compose.yaml": strings.Replace(svcFile, "    working_dir: /tmp\n", "    working_dir: /tmp\n    ports: [\"127.0.0.1:"+itoa(port)+":80\"]\n", 1)})
	p.compose("up", "-d", "web", "db")

	out := p.compose("stop", "web")
	mustContain(t, out, "Container life-web-1  Stopped")
	if st := p.containers()["life-web-1"].State; st != "exited" {
		t.Fatalf("after stop: %s", st)
	}
	mustContain(t, p.compose("start", "web"), "Container life-web-1  Started")
	mustContain(t, p.compose("restart", "db"), "Container life-db-1  Started")
	if got := strings.TrimSpace(p.compose("port", "web", "80")); got != "127.0.0.1:"+itoa(port) {
		t.Errorf("port: %q", got)
	}
	top := p.compose("top", "web")
	mustContain(t, top, "life-web-1", "PID", "sleep 1000")
	mustContain(t, p.compose("images"), "CONTAINER", "REPOSITORY", "life-web-1", "busybox", "latest")
	p.compose("pause", "web")
	if st := p.containers()["life-web-1"].State; st != "paused" {
		t.Fatalf("after pause: %s", st)
	}
	p.compose("unpause", "web")
	if st := p.containers()["life-web-1"].State; st != "running" {
		t.Fatalf("after unpause: %s", st)
	}
	mustContain(t, p.compose("kill", "db"), "Container life-db-1  Killed")
	out = p.compose("rm", "-f")
	mustContain(t, out, "Container life-db-1  Removed")
	cs := p.containers()
	if _, ok := cs["life-db-1"]; ok || cs["life-web-1"].State != "running" {
		t.Fatalf("rm removed the wrong containers: %v", cs)
	}
	mustContain(t, p.compose("ls", "-a"), "life")
	out, _ = p.composeFail("stop", "nosuch")
	mustContain(t, out, "no such service: nosuch")
}

func TestUpAttached(t *testing.T) {
	p := newProject(t, "attached", map[string]string{"compose.yaml": `services:
  job:
    image: busybox
    command: ["sh", "-c", "echo job says hi; sleep 1; exit 5"]
  server:
    image: busybox
    command: ["sh", "-c", "echo server up; sleep 1000"]
    stop_grace_period: 0s
`})
	out, code := p.composeFail("up", "--exit-code-from", "job")
	if code != 5 {
		t.Errorf("exit code %d, want 5\n%s", code, out)
	}
	mustContain(t, out, "Attaching to job-1, server-1", "job-1     | job says hi", "server-1  | server up",
		"job-1 exited with code 5", "Aborting on container exit...", "Container attached-server-1  Stopped")

	// Without abort, up returns when every container has exited.
	writeFile(t, p.Dir+"/compose.yaml", "services:\n  a:\n    image: busybox\n    command: [\"echo\", \"one\"]\n  b:\n    image: busybox\n    command: [\"echo\", \"two\"]\n")
	out = p.compose("up", "--remove-orphans")
	mustContain(t, out, "a-1  | one", "b-1  | two", "a-1 exited with code 0", "b-1 exited with code 0")
}

// TestUpInterrupt: Ctrl-C during an attached up stops the project
// gracefully, as Compose does, and exits 130.
func TestUpInterrupt(t *testing.T) {
	p := newProject(t, "interrupt", map[string]string{"compose.yaml": `services:
  srv:
    image: busybox
    command: ["sh", "-c", "echo serving; exec sleep 1000"]
    stop_grace_period: 1s
    depends_on: [dep]
  dep:
    image: busybox
    command: ["sleep", "1000"]
    stop_grace_period: 1s
`})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(p.d.Bin, "berth"), "compose", "up")
	cmd.Dir = p.Dir
	cmd.Env = append(cleanEnv(), "DOCKER_HOST="+p.d.Host)
	var buf syncBuffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, func() error {
		if !strings.Contains(buf.String(), "srv-1  | serving") {
			return errorf("waiting for output: %q", buf.String())
		}
		return nil
	})
	_ = cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	mustContain(t, buf.String(), "Gracefully stopping... (press Ctrl+C again to force)", "Container interrupt-srv-1  Stopped")
	if code := testutil.ExitCode(err); code != 130 {
		t.Errorf("exit code %d, want 130", code)
	}
	for name, c := range p.containers() {
		if c.State == "running" {
			t.Errorf("%s still running", name)
		}
	}
	// --no-deps starts only the named service.
	p.compose("up", "-d", "--no-deps", "srv")
	cs := p.containers()
	if cs["interrupt-srv-1"].State != "running" || cs["interrupt-dep-1"].State == "running" {
		t.Errorf("up --no-deps srv: %v", cs)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
