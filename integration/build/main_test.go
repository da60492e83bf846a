// Package build holds black-box integration tests of `POST /build` (the
// classic builder): they start a private daemon with busybox and build
// Dockerfiles through our CLI, the official docker CLI (DOCKER_BUILDKIT=0)
// and the raw API.
package build

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
)

var shared = &testutil.Shared{Busybox: true}

func daemon(t *testing.T) *testutil.Daemon {
	t.Helper()
	return shared.Get(t)
}

func TestMain(m *testing.M) { shared.Main(m) }

// cli runs a docker-compatible CLI binary in dir with stdin, the classic
// builder selected for the official CLI.
func cli(d *testutil.Daemon, bin, dir string, stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+d.Host, "DOCKER_CONFIG="+filepath.Join(d.Root, "cliconfig"), "DOCKER_BUILDKIT=0")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// clis are our CLI and (when installed) the official docker CLI.
func clis(t *testing.T, d *testutil.Daemon) map[string]string {
	m := map[string]string{"berth": filepath.Join(d.Bin, "berth")}
	if p, err := exec.LookPath("docker"); err == nil {
		m["docker"] = p
	} else {
		t.Log("official docker CLI not installed: only our CLI is tested")
	}
	return m
}

// writeFiles lays out a context directory: name -> content.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// rmi removes images a test built.
func rmi(t *testing.T, d *testutil.Daemon, refs ...string) {
	t.Helper()
	t.Cleanup(func() {
		for _, r := range refs {
			d.Run("rmi", "-f", r)
		}
	})
}
