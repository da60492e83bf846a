// Package network holds black-box integration tests of networking (issue
// 4): user-defined networks with the embedded DNS server, isolation,
// connect/disconnect, links, --icc=false, macvlan, IPv6 and the errors for
// what this kernel lacks. Each test drives a private daemon through our
// CLI and the official docker CLI. Traffic goes only to 127.0.0.1 and to
// the containers the tests create.
package network

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/berth-project/berth/internal/testutil"
)

var shared = &testutil.Shared{Busybox: true}

// daemon returns the daemon shared by this package's tests; it is stopped
// (and checked for leaks) in TestMain. Tests remove their own objects.
func daemon(t *testing.T) *testutil.Daemon {
	t.Helper()
	return shared.Get(t)
}

func TestMain(m *testing.M) { shared.Main(m) }

// bridgeGone fails the test if a removed network's bridge is still on
// the host.
func bridgeGone(t *testing.T, bridge string) {
	t.Helper()
	if bridge == "" {
		return
	}
	if out, err := exec.Command("ip", "-o", "link", "show", bridge).CombinedOutput(); err == nil {
		t.Errorf("bridge %s left after network rm:\n%s", bridge, out)
	}
}

// bridgeOf is the host bridge of a bridge network: the -o bridge name, or
// berth's "bb-" + 12 hex of the ID ("" for other drivers).
func bridgeOf(t *testing.T, run func(args ...string) (string, error), name string) string {
	t.Helper()
	out := strings.Fields(must(t, run, "network", "inspect", "-f", `{{.Driver}} {{.ID}} {{index .Options "com.docker.network.bridge.name"}}`, name))
	switch {
	case len(out) < 2 || out[0] != "bridge":
		return ""
	case len(out) == 3:
		return out[2]
	}
	return "bb-" + out[1][:12]
}

// netCreate creates a network and removes it at the end of the test,
// checking that its bridge went with it.
func netCreate(t *testing.T, run func(args ...string) (string, error), args ...string) string {
	t.Helper()
	name := args[len(args)-1]
	must(t, run, append([]string{"network", "create"}, args...)...)
	bridge := bridgeOf(t, run, name)
	t.Cleanup(func() {
		if out, err := run("network", "rm", name); err != nil {
			t.Errorf("network rm %s: %v\n%s", name, err, out)
		}
		bridgeGone(t, bridge)
	})
	return name
}

// clis runs each step through our CLI and the official docker CLI.
func clis(d *testutil.Daemon) map[string]testutil.CLI { return testutil.CLIs(d) }

func uniq(prefix string) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// subnet picks a /24 unlikely to collide with the host or other test
// daemons (testutil uses 10.200-249.x.0/24).
func subnet() (cidr, prefix string) {
	b := make([]byte, 2)
	_, _ = rand.Read(b)
	prefix = fmt.Sprintf("10.%d.%d", 150+int(b[0])%50, b[1])
	return prefix + ".0/24", prefix
}

func must(t *testing.T, run func(args ...string) (string, error), args ...string) string {
	t.Helper()
	out, err := run(args...)
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func mustFail(t *testing.T, run func(args ...string) (string, error), want string, args ...string) string {
	t.Helper()
	out, err := run(args...)
	if err == nil {
		t.Fatalf("%s: succeeded, want an error containing %q\n%s", strings.Join(args, " "), want, out)
	}
	if !strings.Contains(out, want) {
		t.Fatalf("%s: error %q does not contain %q", strings.Join(args, " "), out, want)
	}
	return out
}

// wgetCmd is a shell line fetching url with a deadline. The shell stays
// PID 1: busybox timeout signals its parent, and PID 1 of a container
// ignores SIGTERM (busybox-static's own wget -T segfaults).
func wgetCmd(seconds int, url string) string {
	return fmt.Sprintf("timeout %d wget -qO- %s; exit $?", seconds, url)
}
