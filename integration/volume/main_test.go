// Package volume holds black-box integration tests of local volumes: a
// private daemon driven through our CLI, the official docker CLI and the
// Engine API. Using volumes in containers is tested with the mounts.
package volume

import (
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/berth-project/berth/internal/testutil"
)

var (
	shared     *testutil.Daemon
	sharedOnce sync.Once
)

// daemon returns a daemon shared by this package's tests; it is stopped
// (and checked for leaks) in TestMain. Tests remove their own volumes.
func daemon(t *testing.T) *testutil.Daemon {
	t.Helper()
	testutil.RequireRoot(t)
	sharedOnce.Do(func() { shared = testutil.Start(t) })
	if shared == nil {
		t.Fatal("shared daemon failed to start")
	}
	return shared
}

// clis runs each step through our CLI and, when installed, the official
// docker CLI.
func clis(d *testutil.Daemon) map[string]func(args ...string) (string, error) {
	m := map[string]func(args ...string) (string, error){"berth": d.Run}
	if p, err := exec.LookPath("docker"); err == nil {
		m["docker"] = func(args ...string) (string, error) { return d.RunCLI(p, args...) }
	}
	return m
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	testutil.RemoveBinaries()
	os.Exit(code)
}
