// Package engine holds black-box integration tests of the engine core:
// they start a private daemon and drive it through our CLI, the official
// docker CLI and the moby Go client.
package engine

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/berth-project/berth/internal/testutil"
)

var (
	shared     *testutil.Daemon
	sharedOnce sync.Once
)

// daemon returns a daemon shared by this package's tests, with busybox
// loaded; it is stopped (and checked for leaks) in TestMain. Tests remove
// their own containers.
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
	testutil.RemoveBinaries()
	os.Exit(code)
}
