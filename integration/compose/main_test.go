// Package compose holds black-box integration tests of `berth compose`:
// each test writes a project into a directory of its own (the directory
// name is the project name) and drives a private daemon through our CLI,
// checking the objects through the API as other tools would see them.
package compose

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
	"github.com/moby/moby/client"
)

var shared = &testutil.Shared{Busybox: true}

// dockerHost runs the package against an existing Docker Engine instead
// of a private berth daemon, with Docker as the oracle for what compose
// does (integration/compose/oracle.sh starts a private dockerd for it).
var dockerHost = flag.String("docker-host", "", "Docker Engine to test against (unix://...) instead of a private berth daemon")

var (
	oracleOnce sync.Once
	oracle     *testutil.Daemon
)

// engine is the daemon the tests drive.
func engine(t *testing.T) *testutil.Daemon {
	t.Helper()
	if *dockerHost == "" {
		return shared.Get(t)
	}
	oracleOnce.Do(func() {
		root, err := os.MkdirTemp("", "compose-oracle-")
		if err != nil {
			t.Fatal(err)
		}
		oracle = &testutil.Daemon{Host: *dockerHost, Sock: strings.TrimPrefix(*dockerHost, "unix://"), Bin: testutil.Binaries(t), Root: root}
		if _, err := oracle.Run("image", "inspect", "busybox"); err != nil {
			oracle.LoadBusybox(t)
		}
	})
	return oracle
}

func TestMain(m *testing.M) {
	flag.Parse()
	if *dockerHost != "" {
		code := m.Run()
		if oracle != nil {
			_ = os.RemoveAll(oracle.Root)
		}
		testutil.RemoveBinaries()
		os.Exit(code)
	}
	shared.Main(m)
}

// project is one compose project directory on the shared daemon.
type project struct {
	t    *testing.T
	d    *testutil.Daemon
	Dir  string
	Name string
	env  []string
}

// newProject writes files (name → content) into <tmp>/<name> and removes
// the project's objects at cleanup.
func newProject(t *testing.T, name string, files map[string]string) *project {
	t.Helper()
	d := engine(t)
	dir := filepath.Join(t.TempDir(), name)
	for f, content := range files {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := &project{t: t, d: d, Dir: dir, Name: name}
	t.Cleanup(func() {
		out, err := p.run("compose", "-p", name, "down", "-v", "--remove-orphans", "-t", "1")
		if err != nil {
			t.Logf("cleanup down: %v\n%s", err, out)
		}
	})
	return p
}

// run runs our CLI in the project directory.
func (p *project) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(p.d.Bin, "berth"), args...)
	cmd.Dir = p.Dir
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = append(cleanEnv(), "DOCKER_HOST="+p.d.Host, "DOCKER_CONFIG="+filepath.Join(p.d.Root, "cliconfig"))
	cmd.Env = append(cmd.Env, p.env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// cleanEnv drops the COMPOSE_* variables a developer may have set.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "COMPOSE_") {
			out = append(out, kv)
		}
	}
	return out
}

// compose runs `berth compose args...` and fails the test on error.
func (p *project) compose(args ...string) string {
	p.t.Helper()
	out, err := p.run(append([]string{"compose"}, args...)...)
	if err != nil {
		p.t.Fatalf("compose %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// composeFail runs a compose command that must fail and returns its
// output and exit code.
func (p *project) composeFail(args ...string) (string, int) {
	p.t.Helper()
	out, err := p.run(append([]string{"compose"}, args...)...)
	if err == nil {
		p.t.Fatalf("compose %s succeeded, want failure:\n%s", strings.Join(args, " "), out)
	}
	return out, testutil.ExitCode(err)
}

func (p *project) api() *client.Client {
	p.t.Helper()
	c, err := client.New(client.WithHost(p.d.Host))
	if err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(func() { c.Close() })
	return c
}

// containers lists the project's containers through the API by label.
func (p *project) containers() map[string]containerInfo {
	p.t.Helper()
	res, err := p.api().ContainerList(context.Background(), client.ContainerListOptions{
		All: true, Filters: client.Filters{}.Add("label", "com.docker.compose.project="+p.Name),
	})
	if err != nil {
		p.t.Fatal(err)
	}
	out := map[string]containerInfo{}
	for _, c := range res.Items {
		out[strings.TrimPrefix(c.Names[0], "/")] = containerInfo{ID: c.ID, State: string(c.State), Labels: c.Labels}
	}
	return out
}

type containerInfo struct {
	ID     string
	State  string
	Labels map[string]string
}

// freePort picks a free TCP port on 127.0.0.1.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// eventually retries f until it returns nil or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatal(err)
}

func mustContain(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Fatalf("output lacks %q:\n%s", w, out)
		}
	}
}

func mustNotContain(t *testing.T, out string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(out, b) {
			t.Fatalf("output has %q:\n%s", b, out)
		}
	}
}

var _ = fmt.Sprintf
