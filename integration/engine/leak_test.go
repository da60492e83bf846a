package engine

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestRunRmLeavesNothing runs many short containers and checks that no
// mount, cgroup, veth, netns, shim or container record stays behind.
func TestRunRmLeavesNothing(t *testing.T) {
	d := daemon(t)
	n := 200
	if testing.Short() {
		n = 20
	}
	for i := 0; i < n; i++ {
		out, err := d.Run("run", "--rm", "busybox", "true")
		if err != nil {
			t.Fatalf("run %d: %v %s\ndaemon log:\n%s", i, err, out, d.Log())
		}
	}
	if out, _ := d.Run("ps", "-aq"); strings.TrimSpace(out) != "" {
		t.Errorf("containers left: %q", out)
	}
	if leaks := d.Leaks(); leaks != "" {
		t.Errorf("leaks: %s", leaks)
	}
	if out, _ := exec.Command("pgrep", "-f", "berth-shim start.*"+d.Root).Output(); len(out) > 0 {
		t.Errorf("shims still running: %s", out)
	}
	entries, _ := os.ReadDir(d.Root + "/run/netns")
	if len(entries) > 0 {
		t.Errorf("%d netns left", len(entries))
	}
	// Only this daemon's cgroup parent: other packages' daemons run
	// containers at the same time.
	for _, ctl := range []string{"memory", "pids", "cpu"} {
		sub, _ := os.ReadDir("/sys/fs/cgroup/" + ctl + "/" + d.CgroupParent())
		for _, s := range sub {
			if s.IsDir() {
				t.Errorf("cgroup left: %s/%s/%s", ctl, d.CgroupParent(), s.Name())
			}
		}
	}
	t.Log("ran " + strconv.Itoa(n) + " containers")
}
