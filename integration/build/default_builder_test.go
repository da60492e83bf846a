package build

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDockerCLIDefaultBuilder: `docker build -t friendlyhello .` as the
// tutorials type it, without DOCKER_BUILDKIT: the daemon's _ping says
// Builder-Version 1, so the official CLI picks the classic builder itself.
func TestDockerCLIDefaultBuilder(t *testing.T) {
	d := daemon(t)
	bin, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("official docker CLI not installed")
	}
	dir := writeFiles(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo typed > /t\n"})
	rmi(t, d, "it-default-builder")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "build", "-t", "it-default-builder", ".")
	cmd.Dir = dir
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "DOCKER_BUILDKIT=") {
			cmd.Env = append(cmd.Env, e)
		}
	}
	cmd.Env = append(cmd.Env, "DOCKER_HOST="+d.Host, "DOCKER_CONFIG="+filepath.Join(d.Root, "cliconfig"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got, _ := d.Run("run", "--rm", "it-default-builder", "cat", "/t"); got != "typed\n" {
		t.Errorf("image content %q\n%s", got, out)
	}
}
