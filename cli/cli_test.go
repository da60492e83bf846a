package cli

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/berth-project/berth/cli/command"
)

func runArgs(t *testing.T, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	c := command.NewCli(io.NopCloser(strings.NewReader("")), &out, &errb)
	return RunCli(c, args), out.String(), errb.String()
}

func TestRootBasics(t *testing.T) {
	code, out, _ := runArgs(t, "docker", "-v")
	if code != 0 || out != "Docker version "+Version+", build "+GitCommit+"\n" {
		t.Fatalf("-v: %d %q", code, out)
	}
	code, out, _ = runArgs(t, "/usr/bin/berth", "--version")
	if code != 0 || !strings.HasPrefix(out, "berth version ") {
		t.Fatalf("berth --version: %d %q", code, out)
	}
	code, _, errOut := runArgs(t, "docker", "-H", "a", "-H", "b", "ps")
	if code != 1 || !strings.Contains(errOut, "Specify only one -H") {
		t.Fatalf("two -H: %d %q", code, errOut)
	}
	code, _, errOut = runArgs(t, "docker", "-H", "unix:///nonexistent/berth-test.sock", "ps")
	if code != 1 || errOut != "Cannot connect to the Docker daemon at unix:///nonexistent/berth-test.sock. Is the docker daemon running?\n" {
		t.Fatalf("no daemon: %d %q", code, errOut)
	}
	code, _, errOut = runArgs(t, "berth", "rm")
	if code != 1 || !strings.HasPrefix(errOut, "berth: 'berth rm' requires at least 1 argument") {
		t.Fatalf("berth rm: %d %q", code, errOut)
	}
}
