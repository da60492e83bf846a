// Package clients runs clients we did not write against a private berth
// daemon, unmodified: docker-py (Debian's python3-docker 5.0.3, and a 7.x
// checkout when BERTH_DOCKERPY7 names one) and docker-compose 1.29
// (Debian's docker-compose, which pins API v1.38 paths). scripts/deps.sh
// installs both Debian packages. Traffic goes only to 127.0.0.1 and to the
// containers the tests create.
package clients

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"os/exec"
	"strconv"
	"testing"

	"github.com/berth-project/berth/internal/testutil"
)

var shared = &testutil.Shared{Busybox: true}

func TestMain(m *testing.M) { shared.Main(m) }

// python is Debian's interpreter: python3-docker and docker-compose are
// installed for it, not for whatever python3 comes first on PATH.
const python = "/usr/bin/python3"

func uniq(prefix string) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// freePort is a port of 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// need fails (not skips: the suite's own setup installs them) when a
// client is missing.
func need(t *testing.T, bin string) {
	t.Helper()
	if _, err := exec.LookPath(bin); err != nil {
		t.Fatalf("%s not found: run scripts/deps.sh (installs python3-docker and docker-compose)", bin)
	}
}
