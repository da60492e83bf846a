package distribution

import (
	"strings"
	"testing"

	"github.com/berth-project/berth/internal/testutil"
)

// TestRegistryMirror: a daemon with --registry-mirror pulls Docker Hub
// images from the mirror (Docker Hub itself is not reachable here, so a
// pull that succeeds came from the mirror).
func TestRegistryMirror(t *testing.T) {
	d := daemon(t)
	mirror := startRegistry(t)
	mustRun(t, d.Run, "tag", "busybox", mirror.Addr+"/library/busybox:mirrored")
	mustRun(t, d.Run, "push", mirror.Addr+"/library/busybox:mirrored")
	mustRun(t, d.Run, "rmi", mirror.Addr+"/library/busybox:mirrored")

	m := testutil.StartDaemon(t, "--registry-mirror", "http://"+mirror.Addr, "--max-concurrent-downloads", "1")
	out := mustRun(t, m.Run, "pull", "busybox:mirrored")
	if !strings.Contains(out, "Pulling from library/busybox") || !strings.Contains(out, "Status: Downloaded newer image for busybox:mirrored") {
		t.Errorf("pull through the mirror:\n%s", out)
	}
	if out := mustRun(t, m.Run, "run", "--rm", "busybox:mirrored", "echo", "mirrored"); !strings.Contains(out, "mirrored") {
		t.Errorf("run: %s", out)
	}
	mustRun(t, m.Run, "rmi", "busybox:mirrored")
}
