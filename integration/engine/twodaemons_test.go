package engine

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/berth-project/berth/internal/testutil"
)

// TestTwoDaemonsSideBySide runs two daemons with their own roots, sockets,
// bridges and rules, each publishing a port, and checks they do not see
// each other's containers.
func TestTwoDaemonsSideBySide(t *testing.T) {
	a := testutil.StartDaemon(t)
	b := testutil.StartDaemon(t)
	for i, d := range []*testutil.Daemon{a, b} {
		d.LoadBusybox(t)
		port := freePort(t)
		name := fmt.Sprintf("side-%d", i)
		must(t, d.Run, "run", "-d", "--name", name, "-p", fmt.Sprintf("127.0.0.1:%d:80", port), "busybox", "httpd", "-f", "-p", "80", "-h", "/var/www")
		waitFor(t, func() bool {
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
			if err != nil {
				return false
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return strings.Contains(string(body), "Hello from berth")
		})
	}
	if out := must(t, a.Run, "ps", "--format", "{{.Names}}"); out != "side-0\n" {
		t.Errorf("daemon a sees %q", out)
	}
	if out := must(t, b.Run, "ps", "--format", "{{.Names}}"); out != "side-1\n" {
		t.Errorf("daemon b sees %q", out)
	}
	info := must(t, a.Run, "info", "--format", "{{.DockerRootDir}}")
	if !strings.HasPrefix(info, a.Root) {
		t.Errorf("info root %q not under %s", info, a.Root)
	}
	must(t, a.Run, "rm", "-f", "side-0")
	must(t, b.Run, "rm", "-f", "side-1")
}
