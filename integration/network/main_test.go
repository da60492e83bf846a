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
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/berth-project/berth/internal/testutil"
)

var (
	shared     *testutil.Daemon
	sharedOnce sync.Once
)

// daemon returns a daemon shared by this package's tests, with busybox
// loaded; stopped and checked for leaks in TestMain.
func daemon(t *testing.T) *testutil.Daemon {
	t.Helper()
	testutil.RequireRoot(t)
	sharedOnce.Do(func() {
		shared = testutil.Start(t)
		shared.LoadBusybox(t)
	})
	if shared == nil {
		t.Fatal("shared daemon failed to start")
	}
	return shared
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	if leftover := ourLinks(); leftover != "" {
		fmt.Fprintln(os.Stderr, "network devices left behind:\n"+leftover)
		code = 1
	}
	testutil.RemoveBinaries()
	os.Exit(code)
}

// ourLinks lists host interfaces that only berth's user networks create.
func ourLinks() string {
	out, _ := exec.Command("ip", "-o", "link", "show").CombinedOutput()
	var left []string
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		name := strings.TrimSuffix(strings.SplitN(f[1], "@", 2)[0], ":")
		if strings.HasPrefix(name, "bnt") {
			left = append(left, name)
		}
	}
	return strings.Join(left, "\n")
}

// clis runs each step through our CLI and the official docker CLI.
func clis(d *testutil.Daemon) map[string]func(args ...string) (string, error) {
	m := map[string]func(args ...string) (string, error){"berth": d.Run}
	if p, err := exec.LookPath("docker"); err == nil {
		m["docker"] = func(args ...string) (string, error) { return d.RunCLI(p, args...) }
	}
	return m
}

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
