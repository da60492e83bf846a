package swarm

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/apiserver"
	"github.com/berth-project/berth/apiserver/internal/fake"
	"github.com/berth-project/berth/apiserver/router/container"
	"github.com/berth-project/berth/apiserver/router/notimpl"
	srouter "github.com/berth-project/berth/apiserver/router/system"
	"github.com/moby/moby/api/types/swarm"
)

// TestDockerCLI drives the routes with the official docker CLI (v28 here,
// API 1.50): its real request bodies, its version, and its parsing of the
// log details it asks for to name each line's task and node.
func TestDockerCLI(t *testing.T) {
	bin, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("docker CLI not installed")
	}
	f := newFake()
	seed(f)
	f.state = swarm.LocalNodeStateActive
	f.nodes["node1"].Description.Hostname = "host-a"
	t1 := f.tasks["t1"]
	t1.Slot, t1.NodeID = 1, "node1"
	f.tasks["t1"] = t1
	at := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	f.logs = []*container.LogMessage{{Stream: "stdout", Line: []byte("hello from t1\n"), Time: at,
		Attrs: map[string]string{"com.docker.swarm.node.id": "node1", "com.docker.swarm.service.id": "svc-web", "com.docker.swarm.task.id": "t1"}}}

	srv := apiserver.New(apiserver.Config{Version: "test", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv.Register(notimpl.NewRouter(), srouter.NewRouter(fake.NewSystem()), NewRouter(f))
	sock := t.TempDir() + "/api.sock"
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	cfgDir := t.TempDir()
	run := func(args ...string) (string, string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+sock, "DOCKER_CONFIG="+cfgDir, "DOCKER_CONTEXT=", "DOCKER_API_VERSION=")
		cmd.Stdin = strings.NewReader("hunter2")
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		return out.String(), errb.String(), err
	}
	tests := []struct {
		args   []string
		out    string // substring of stdout
		errOut string // substring of stderr; non-empty: failure expected
	}{
		{args: []string{"service", "ls", "--format", "{{.Name}} {{.Image}}"}, out: "web nginx"},
		{args: []string{"service", "create", "--detach", "--name", "api", "--replicas", "2", "--cap-add", "NET_ADMIN", "--env", "A=1", "busybox", "sleep", "1d"}, out: "svc1"},
		{args: []string{"service", "inspect", "--format", "{{.Spec.Name}} {{.Spec.TaskTemplate.ContainerSpec.Image}} {{.Spec.Mode.Replicated.Replicas}} {{.Spec.TaskTemplate.ContainerSpec.CapabilityAdd}}", "api"}, out: "api busybox:latest 2 [CAP_NET_ADMIN]"},
		{args: []string{"service", "update", "--detach", "--image", "busybox:2", "api"}, out: "api"},
		{args: []string{"service", "inspect", "--format", "{{.Version.Index}} {{.Spec.TaskTemplate.ContainerSpec.Image}} {{.PreviousSpec.TaskTemplate.ContainerSpec.Image}}", "api"}, out: "2 busybox:2 busybox:latest"},
		{args: []string{"service", "logs", "web"}, out: "web.1.t1@host-a    | hello from t1\n"},
		{args: []string{"service", "logs", "--no-resolve", "--no-task-ids", "-t", "web"}, out: "2026-12-07T12:00:00.000000000Z svc-web.1@node1    | hello from t1\n"},
		{args: []string{"service", "logs", "--raw", "web"}, out: "hello from t1\n"},
		{args: []string{"service", "logs", "--tail", "x", "web"}, errOut: `tail value must be a positive integer or "all"`},
		{args: []string{"service", "rm", "api"}, out: "api"},
		{args: []string{"service", "inspect", "api"}, errOut: "no such service: api"},
		{args: []string{"node", "ls", "--format", "{{.ID}} {{.Hostname}}"}, out: "node1 host-a"},
		{args: []string{"node", "update", "--availability", "drain", "node1"}, out: "node1"},
		{args: []string{"node", "inspect", "--format", "{{.Spec.Availability}}", "node1"}, out: "drain"},
		{args: []string{"secret", "create", "pw", "-"}, out: "sec2"},
		{args: []string{"secret", "ls", "--format", "{{.Name}}"}, out: "pw"},
		{args: []string{"config", "ls", "--format", "{{.Name}}"}, out: "a"},
		{args: []string{"swarm", "unlock-key", "-q"}, out: "SWMKEY-1-secret"},
	}
	for _, tt := range tests {
		out, errOut, err := run(tt.args...)
		if tt.errOut != "" {
			if err == nil || !strings.Contains(errOut, tt.errOut) {
				t.Errorf("docker %v: err %v, stderr %q, want %q", tt.args, err, errOut, tt.errOut)
			}
			continue
		}
		if err != nil || !strings.Contains(out, tt.out) {
			t.Errorf("docker %v: %v\nstdout %q\nstderr %q\nwant %q", tt.args, err, out, errOut, tt.out)
		}
	}
}
