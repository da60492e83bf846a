// Package distribution holds black-box tests of the registry (`berth
// registry serve`, the OCI conformance suite) and of pull/push/login
// through a private daemon, with our CLI and the official docker CLI.
package distribution

import (
	"testing"

	"github.com/berth-project/berth/internal/testutil"
)

var shared = &testutil.Shared{Busybox: true}

func daemon(t *testing.T) *testutil.Daemon {
	t.Helper()
	return shared.Get(t)
}

func TestMain(m *testing.M) { shared.Main(m) }
