package compose

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestDockerName checks `docker compose` when our binary runs as docker
// (testutil links docker-berth to it) and the group's help and version.
func TestDockerName(t *testing.T) {
	p := newProject(t, "asdocker", map[string]string{"compose.yaml": "services:\n  a:\n    image: busybox\n"})
	bin := filepath.Join(p.d.Bin, "docker-berth")
	out, err := p.d.RunCLI(bin, "compose", "version")
	if err != nil || !strings.HasPrefix(out, "Docker Compose version v2.") {
		t.Fatalf("docker compose version: %q %v", out, err)
	}
	if out := p.compose("version", "--short"); !strings.HasPrefix(out, "2.") {
		t.Errorf("version --short %q", out)
	}
	help := p.compose("--help")
	mustContain(t, help, "Usage:  berth compose [OPTIONS] COMMAND", "up ", "down ", "--project-name")
	out, code := p.composeFail("nosuchverb")
	if code == 0 || !strings.Contains(out, "unknown command") {
		t.Errorf("unknown verb: %d %q", code, out)
	}
}
