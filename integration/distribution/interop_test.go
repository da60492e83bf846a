package distribution

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
)

// startDockerRegistry28 runs Debian's docker-registry (distribution 2.8)
// on a free port; the test is skipped when it is not installed.
func startDockerRegistry28(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		t.Skip("Debian's docker-registry is not installed (apt-get install docker-registry)")
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yml")
	os.WriteFile(cfg, []byte("version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: "+filepath.Join(dir, "data")+"\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:0\n"), 0o644)
	cmd := exec.Command(bin, "serve", cfg)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if _, rest, ok := strings.Cut(sc.Text(), `msg="listening on `); ok {
				addr <- strings.TrimSuffix(strings.Fields(rest)[0], `"`)
			}
		}
	}()
	select {
	case a := <-addr:
		return a
	case <-time.After(20 * time.Second):
		t.Fatal("docker-registry did not start")
	}
	return ""
}

// TestDockerRegistry28 pushes to and pulls from distribution 2.8 (what
// most private registries run) with our engine.
func TestDockerRegistry28(t *testing.T) {
	d := daemon(t)
	addr := startDockerRegistry28(t)
	ref := addr + "/old/registry:1"
	uniqueImage(t, d.Run, ref)
	mustRun(t, d.Run, "push", ref)
	mustRun(t, d.Run, "rmi", ref)
	if out := mustRun(t, d.Run, "run", "--rm", ref, "ls", "-l", "/random"); !strings.Contains(out, "262144") {
		t.Errorf("pulled image lacks its layer:\n%s", out)
	}
	mustRun(t, d.Run, "rmi", ref)
}

// dockerEngine is a private Docker Engine (Debian's docker.io) with its
// own roots and no networking of its own.
type dockerEngine struct{ host string }

func startDockerEngine(t *testing.T) *dockerEngine {
	t.Helper()
	if _, err := exec.LookPath("dockerd"); err != nil {
		t.Skip("Docker Engine (dockerd) is not installed")
	}
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("docker CLI not installed")
	}
	if _, err := os.Stat("/run/containerd/containerd.sock"); err == nil {
		t.Skip("a system containerd is running; a private dockerd would share it")
	}
	dir, err := os.MkdirTemp("", "bt-dockerd-")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "docker.sock")
	cfg := filepath.Join(dir, "daemon.json")
	os.WriteFile(cfg, []byte("{}"), 0o644)
	logf, _ := os.Create(filepath.Join(dir, "dockerd.log"))
	cmd := exec.Command("dockerd", "--config-file", cfg, "--data-root", filepath.Join(dir, "data"), "--exec-root", filepath.Join(dir, "run"),
		"-H", "unix://"+sock, "--pidfile", filepath.Join(dir, "docker.pid"), "--bridge=none",
		"--iptables=false", "--ip6tables=false", "--ip-forward=false", "--storage-driver", "overlay2")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	e := &dockerEngine{host: "unix://" + sock}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		logf.Close()
		if !t.Failed() {
			os.RemoveAll(dir)
		} else {
			b, _ := os.ReadFile(filepath.Join(dir, "dockerd.log"))
			t.Logf("dockerd log (kept in %s):\n%s", dir, lastLines(string(b), 20))
		}
	})
	for i := 0; i < 300; i++ {
		if _, err := e.run("version"); err == nil {
			return e
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("private dockerd did not come up")
	return nil
}

func (e *dockerEngine) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+e.host)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// TestDockerEngineInterop: Docker Engine pushes to and pulls from our
// registry, and each engine pulls what the other pushed.
func TestDockerEngineInterop(t *testing.T) {
	d := daemon(t)
	reg := startRegistry(t)
	e := startDockerEngine(t)
	tar := filepath.Join(t.TempDir(), "busybox.tar")
	if out, err := exec.Command(filepath.Join(testutil.RepoRoot(), "scripts", "mkbusybox.sh"), tar).CombinedOutput(); err != nil {
		t.Fatalf("mkbusybox: %v\n%s", err, out)
	}
	fromDocker := reg.Addr + "/docker/pushed:1"
	mustRun(t, e.run, "import", "--change", `CMD ["sh"]`, tar, fromDocker)
	if out := mustRun(t, e.run, "push", fromDocker); !strings.Contains(out, "1: digest: sha256:") {
		t.Errorf("docker push output:\n%s", out)
	}
	mustRun(t, e.run, "rmi", fromDocker)
	mustRun(t, e.run, "pull", fromDocker)
	// Our engine pulls and runs what Docker pushed.
	if out := mustRun(t, d.Run, "run", "--rm", fromDocker, "echo", "pushed by docker"); !strings.Contains(out, "pushed by docker") {
		t.Errorf("run: %s", out)
	}
	mustRun(t, d.Run, "rmi", fromDocker)
	// Docker pulls what we pushed.
	fromBerth := reg.Addr + "/berth/pushed:1"
	uniqueImage(t, d.Run, fromBerth)
	mustRun(t, d.Run, "push", fromBerth)
	mustRun(t, d.Run, "rmi", fromBerth)
	if out := mustRun(t, e.run, "pull", fromBerth); !strings.Contains(out, "Downloaded newer image") {
		t.Errorf("docker pull output:\n%s", out)
	}
	if out := mustRun(t, e.run, "image", "inspect", "--format", "{{len .RootFS.Layers}}", fromBerth); strings.TrimSpace(out) != "2" {
		t.Errorf("docker sees %s layers, want 2", out)
	}
}
