package swarm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// berth runs our CLI and fails the test on error.
func berth(t *testing.T, run func(...string) (string, error), args ...string) string {
	t.Helper()
	out, err := run(args...)
	if err != nil {
		t.Fatalf("berth %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(out)
}

// TestBerthCLI drives swarm mode through our own CLI: the same commands
// as the docker CLI tests, output as the docker CLI prints it.
func TestBerthCLI(t *testing.T) {
	d := initSwarm(t)
	b := func(args ...string) string { t.Helper(); return berth(t, d.Run, args...) }
	if got := b("node", "ls", "--format", "{{.Self}} {{.Status}} {{.ManagerStatus}}"); got != "true Ready Leader" {
		t.Errorf("node ls: %q", got)
	}
	out := b("service", "create", "--name", "bweb", "--replicas", "2", "--stop-grace-period", "1s", "busybox", "sleep", "1d")
	if !strings.Contains(out, "verify: Service converged") {
		t.Errorf("service create progress:\n%s", out)
	}
	if got := b("service", "ls", "--format", "{{.Name}} {{.Mode}} {{.Replicas}}"); got != "bweb replicated 2/2" {
		t.Errorf("service ls: %q", got)
	}
	b("service", "scale", "-d", "bweb=3")
	replicas(t, d, "bweb", "3/3")
	if ps := b("service", "ps", "bweb", "--filter", "desired-state=running", "-q"); len(strings.Fields(ps)) != 3 {
		t.Errorf("service ps -q: %q", ps)
	}
	secret := filepath.Join(d.Root, "s.txt")
	if err := os.WriteFile(secret, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	b("secret", "create", "bs", secret)
	if got := b("secret", "ls", "--format", "{{.Name}}"); got != "bs" {
		t.Errorf("secret ls: %q", got)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "docker-compose.yml"), []byte(stackFile("busybox", freePort(t), freePort(t), freePort(t), d.Sock, t.TempDir())), 0o644); err != nil {
		t.Fatal(err)
	}
	b("stack", "deploy", "-c", filepath.Join(dir, "docker-compose.yml"), "gsl")
	replicas(t, d, "gsl_web", "5/5")
	if got := b("stack", "ls", "--format", "{{.Name}} {{.Services}}"); got != "gsl 3" {
		t.Errorf("stack ls: %q", got)
	}
	b("stack", "rm", "gsl")
	b("service", "rm", "bweb")
	b("secret", "rm", "bs")
}
