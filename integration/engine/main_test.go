// Package engine holds black-box integration tests of the engine core:
// they start a private daemon and drive it through our CLI, the official
// docker CLI and the moby Go client.
package engine

import (
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
