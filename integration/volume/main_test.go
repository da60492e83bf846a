// Package volume holds black-box integration tests of local volumes: a
// private daemon driven through our CLI, the official docker CLI and the
// Engine API. Using volumes in containers is tested with the mounts.
package volume

import (
	"testing"

	"github.com/berth-project/berth/internal/testutil"
)

var shared = &testutil.Shared{Busybox: false}

// daemon returns the daemon shared by this package's tests; it is stopped
// (and checked for leaks) in TestMain. Tests remove their own objects.
func daemon(t *testing.T) *testutil.Daemon {
	t.Helper()
	return shared.Get(t)
}

func TestMain(m *testing.M) { shared.Main(m) }

// clis runs each step through our CLI and the official docker CLI.
func clis(d *testutil.Daemon) map[string]testutil.CLI { return testutil.CLIs(d) }
