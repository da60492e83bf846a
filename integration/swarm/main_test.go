// Package swarm holds the integration tests of swarm mode: private daemons
// that init (and join) a swarm on 127.0.0.1 ports and run services,
// driven through the official docker CLI and our CLI.
package swarm

import (
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testutil.RemoveBinaries()
	os.Exit(code)
}

// freePort is a port on 127.0.0.1 nobody listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// cli runs the official docker CLI (skipping when absent) and fails the
// test on error.
func cli(t *testing.T, d *testutil.Daemon, args ...string) string {
	t.Helper()
	out, err := d.Docker(t, args...)
	if err != nil {
		t.Fatalf("docker %s: %v\n%s\n--- daemon log tail:\n%s", strings.Join(args, " "), err, out, tail(d.Log(), 40))
	}
	return strings.TrimSpace(out)
}

func tail(s string, n int) string {
	l := strings.Split(s, "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// eventually polls f until it returns "" (success) or the timeout.
func eventually(t *testing.T, d *testutil.Daemon, timeout time.Duration, what string, f func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		if last = f(); last == "" {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: not reached after %s: %s\n--- daemon log tail:\n%s", what, timeout, last, tail(d.Log(), 60))
}

// replicas waits until `service ls` shows want for svc.
func replicas(t *testing.T, d *testutil.Daemon, svc, want string) {
	t.Helper()
	eventually(t, d, 60*time.Second, "replicas of "+svc, func() string {
		out, err := d.Docker(t, "service", "ls", "--filter", "name="+svc, "--format", "{{.Name}} {{.Replicas}}")
		if err != nil {
			return err.Error() + ": " + out
		}
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == svc && f[1] == want {
				return ""
			}
		}
		return "service ls: " + out
	})
}

// taskContainers lists the running containers of a service.
func taskContainers(t *testing.T, d *testutil.Daemon, svc string) []string {
	t.Helper()
	out := cli(t, d, "ps", "-q", "--filter", "label=com.docker.swarm.service.name="+svc)
	return strings.Fields(out)
}

// initSwarm starts a daemon with busybox and makes it a single-node swarm.
func initSwarm(t *testing.T) *testutil.Daemon {
	t.Helper()
	d := testutil.StartDaemon(t)
	d.LoadBusybox(t)
	// Overlay subnets from a pool of this package's own: other packages' swarms
	// put their bridges in the same (host) namespace at the same time.
	out := cli(t, d, "swarm", "init", "--advertise-addr", "127.0.0.1", "--listen-addr", "127.0.0.1:"+freePort(t), "--default-addr-pool", "10.91.0.0/16")
	if !strings.Contains(out, "Swarm initialized: current node (") || !strings.Contains(out, "docker swarm join --token SWMTKN-") {
		t.Fatalf("swarm init output:\n%s", out)
	}
	t.Cleanup(func() {
		if out, err := d.Docker(t, "swarm", "leave", "--force"); err != nil && !strings.Contains(out, "not part of a swarm") {
			t.Errorf("swarm leave --force: %v\n%s", err, out)
		}
	})
	return d
}
