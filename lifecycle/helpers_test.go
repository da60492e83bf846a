package lifecycle

import (
	"os"
	"testing"
)

// requireRoot skips tests that mount or chown (testutil would import the
// daemon, which imports this package).
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("needs root: mounts and chowns")
	}
}
