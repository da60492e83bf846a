package apiserver

import (
	"bytes"

	"github.com/berth-project/berth/apiserver/internal/fake"
	crouter "github.com/berth-project/berth/apiserver/router/container"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestDockerCLI drives the server with the real docker CLI (v28 here), so
// its actual request bodies go through the decoding and its
// hijack/wait handling of `docker run -i` and `docker exec` is exercised.
func TestDockerCLI(t *testing.T) {
	bin, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("docker CLI not installed")
	}
	e := newEnv(t)
	e.c.Add(&fake.Container{ID: strings.Repeat("5", 64), Name: "lg", Logs: []crouter.LogMessage{
		{Stream: "stdout", Line: []byte("out line\n"), Time: time.Unix(1700000000, 0)},
		{Stream: "stderr", Line: []byte("err line\n"), Time: time.Unix(1700000001, 0)},
	}})
	cfgDir := t.TempDir()
	run := func(stdin string, args ...string) (string, string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+e.sock, "DOCKER_CONFIG="+cfgDir, "DOCKER_CONTEXT=", "DOCKER_API_VERSION=")
		cmd.Stdin = strings.NewReader(stdin)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		done := make(chan error, 1)
		if err := cmd.Start(); err != nil {
			return "", "", err
		}
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			return out.String(), errb.String(), err
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Fatalf("docker %v hung; stdout %q stderr %q", args, out.String(), errb.String())
		}
		return "", "", nil
	}
	tests := []struct {
		args   []string
		stdin  string
		out    string // substring of stdout
		errOut string // substring of stderr; non-empty means failure expected
	}{
		{args: []string{"version", "--format", "{{.Server.APIVersion}} {{.Client.APIVersion}}"}, out: "1.56 1.50"},
		{args: []string{"create", "--name", "full", "-e", "A=1", "-p", "8080:80", "--memory", "10m", "--cpus", "1",
			"--restart", "always", "-v", "/tmp:/tmp", "--health-cmd", "true", "--init", "--cap-add", "NET_ADMIN",
			"--label", "x=y", "--dns", "1.1.1.1", "--add-host", "h:1.2.3.4", "--ulimit", "nofile=10:20",
			"--tmpfs", "/run", "--mount", "type=volume,src=v,dst=/data", "--network", "bridge", "--ip", "172.17.0.9",
			"--platform", "linux/amd64", "--stop-timeout", "3", "-w", "/w", "-u", "1:1", "busybox", "sh", "-c", "true"}},
		{args: []string{"inspect", "--format", "{{.Config.Image}} {{index .Config.Labels \"x\"}}", "full"}, out: "busybox y"},
		{args: []string{"ps", "-a", "--format", "{{.Names}}"}, out: "full"},
		{args: []string{"run", "-d", "--name", "bg", "busybox", "sleep", "9"}},
		{args: []string{"exec", "bg", "echo", "hi", "there"}, out: "hi there\n"},
		{args: []string{"run", "-i", "--name", "cat", "busybox", "cat"}, stdin: "line1\nline2\n", out: "line1\nline2\n"},
		{args: []string{"inspect", "--format", "{{.State.Status}}", "cat"}, out: "exited"},
		{args: []string{"start", "bg"}},
		{args: []string{"stop", "-t", "1", "bg"}},
		{args: []string{"rm", "cat", "bg"}},
		{args: []string{"inspect", "nope"}, errOut: "No such object: nope"},
		{args: []string{"rm", "nope"}, errOut: "No such container: nope"},
		{args: []string{"network", "ls"}, errOut: "networks: not supported by berth yet"},
		{args: []string{"logs", "--tail", "1", "lg"}, out: ""},
		{args: []string{"logs", "-t", "lg"}, out: "2023-11-14T22:13:20.000000000Z out line\n"},
		{args: []string{"image", "inspect", "--format", "{{.ID}}", "myrepo/app:1"}, out: "sha256:"},
	}
	for _, tt := range tests {
		out, errOut, err := run(tt.stdin, tt.args...)
		if tt.errOut != "" {
			if err == nil || !strings.Contains(errOut, tt.errOut) {
				t.Errorf("docker %v: err %v, stderr %q, want failure with %q", tt.args, err, errOut, tt.errOut)
			}
			continue
		}
		if err != nil || !strings.Contains(out, tt.out) {
			t.Errorf("docker %v: err %v, stdout %q, stderr %q, want stdout containing %q", tt.args, err, out, errOut, tt.out)
		}
	}
}
