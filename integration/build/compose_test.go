package build

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestComposeV1Build: docker-compose v1 (Debian's 1.29, docker-py
// inside) builds a service with build args and a custom Dockerfile.
func TestComposeV1Build(t *testing.T) {
	d := daemon(t)
	if _, err := exec.LookPath("docker-compose"); err != nil {
		t.Skip("docker-compose not installed")
	}
	dir := writeFiles(t, map[string]string{
		"docker-compose.yml": "version: \"3\"\nservices:\n  web:\n    build:\n      context: .\n      dockerfile: web.Dockerfile\n      args:\n        GREETING: composed\n    image: it-compose-web\n",
		"web.Dockerfile":     "FROM busybox\nARG GREETING=none\nRUN echo $GREETING > /greeting\nCMD [\"cat\", \"/greeting\"]\n",
	})
	rmi(t, d, "it-compose-web")
	cmd := exec.Command("docker-compose", "-p", "itbuild", "build")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+d.Host, "COMPOSE_DOCKER_CLI_BUILD=0", "DOCKER_BUILDKIT=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Successfully tagged it-compose-web:latest") {
		t.Errorf("output:\n%s", out)
	}
	if got, _ := d.Run("run", "--rm", "it-compose-web"); got != "composed\n" {
		t.Errorf("image runs %q", got)
	}
}
