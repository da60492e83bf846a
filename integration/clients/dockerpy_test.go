package clients

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/berth-project/berth/internal/testutil"
)

// TestDockerPy runs testdata/dockerpy_test.py (containers, images,
// volumes, networks, ports, events, prune, df) with each docker-py we
// have. The script asserts; this test checks which docker-py ran and that
// every case passed.
func TestDockerPy(t *testing.T) {
	d := shared.Get(t)
	need(t, python)
	// Each docker-py negotiates the daemon's newest API version, and once
	// pinned to 1.41 (docker-py 5's default constant; before 1.52's
	// removals of legacy fields).
	variants := []struct{ name, path, version, api string }{
		{"debian", "", "5.", ""},
		{"debian-api1.41", "", "5.", "1.41"},
		{"7.x", os.Getenv("BERTH_DOCKERPY7"), "7.", ""},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			if v.version == "7." && v.path == "" {
				t.Skip("docker-py 7.x: set BERTH_DOCKERPY7 to a directory holding its docker package (PyPI is not reachable from this machine, so CI runs Debian's 5.0.3 only)")
			}
			env := []string{"DOCKER_HOST=" + d.Host, "BERTH_PREFIX=" + uniq("py"), "PYTHONPATH=" + v.path, "BERTH_PY_API=" + v.api}
			ver, err := pyRun(env, "-c", "import docker; print(docker.__version__)")
			if err != nil {
				t.Fatalf("import docker: %v\n%s", err, ver)
			}
			if !strings.HasPrefix(strings.TrimSpace(ver), v.version) {
				t.Fatalf("docker-py %s imported, want %sx", strings.TrimSpace(ver), v.version)
			}
			t.Logf("docker-py %s", strings.TrimSpace(ver))
			out, err := pyRun(env, "testdata/dockerpy_test.py")
			if err != nil || !strings.Contains(out, "\nOK") {
				t.Fatalf("docker-py suite failed (%v):\n%s", err, out)
			}
			t.Log(lastLines(out, 3))
		})
	}
}

func pyRun(env []string, args ...string) (string, error) {
	cmd := exec.Command(python, append([]string{"-W", "ignore"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestDockerPySwarm runs testdata/dockerpy_swarm_test.py with Debian's
// docker-py (and 7.x when BERTH_DOCKERPY7 names it) against a daemon of
// its own, which the script makes a single-node swarm and leaves.
func TestDockerPySwarm(t *testing.T) {
	need(t, python)
	for _, v := range []struct{ name, path, version string }{
		{"debian", "", "5."},
		{"7.x", os.Getenv("BERTH_DOCKERPY7"), "7."},
	} {
		t.Run(v.name, func(t *testing.T) {
			if v.version == "7." && v.path == "" {
				t.Skip("docker-py 7.x: set BERTH_DOCKERPY7 to a directory holding its docker package (PyPI is not reachable from this machine)")
			}
			d := testutil.StartDaemon(t)
			d.LoadBusybox(t)
			env := []string{"DOCKER_HOST=" + d.Host, "BERTH_PREFIX=" + uniq("pys"), "PYTHONPATH=" + v.path}
			out, err := pyRun(env, "testdata/dockerpy_swarm_test.py")
			if err != nil || !strings.Contains(out, "\nOK") {
				t.Fatalf("docker-py swarm suite failed (%v):\n%s\n--- daemon log tail:\n%s", err, out, lastLines(d.Log(), 40))
			}
			t.Log(lastLines(out, 3))
		})
	}
}
