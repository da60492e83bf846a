package engine

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
)

// TestMonitorCrash: when the shim monitor is killed, its containers are
// recorded as exited and their processes and cgroups are cleaned up; the
// next run starts a new monitor.
func TestMonitorCrash(t *testing.T) {
	testutil.RequireRoot(t)
	d := testutil.Start(t)
	t.Cleanup(func() {
		if err := d.Stop(); err != nil {
			t.Error(err)
		}
	})
	d.LoadBusybox(t)
	id := strings.TrimSpace(must(t, d.Run, "run", "-d", "busybox", "sleep", "1d"))
	defer d.Run("rm", "-f", id)
	pid, err := strconv.Atoi(strings.TrimSpace(must(t, d.Run, "inspect", "-f", "{{.State.Pid}}", id)))
	if err != nil || pid <= 0 {
		t.Fatalf("container pid: %v", err)
	}
	out, _ := exec.Command("pgrep", "-f", "berth-shim group --dir "+d.Root).Output()
	mons := strings.Fields(string(out))
	if len(mons) != 1 {
		t.Fatalf("want one monitor for %s, got %q", d.Root, out)
	}
	mon, _ := strconv.Atoi(mons[0])
	if err := exec.Command("kill", "-9", mons[0]).Run(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		st := strings.TrimSpace(must(t, d.Run, "inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", id))
		if st == "exited 255" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the monitor died the container is %q", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Killed; once re-parented to the host's init it may linger as a
	// zombie until init reaps it.
	if st := procState(pid); st != "" && st != "Z" {
		t.Errorf("container process %d still runs (state %s) after its monitor %d died", pid, st, mon)
	}
	for _, ctl := range []string{"memory", "pids", "cpu"} {
		if _, err := os.Stat("/sys/fs/cgroup/" + ctl + "/" + d.CgroupParent() + "/" + id); err == nil {
			t.Errorf("cgroup %s of the container left", ctl)
		}
	}
	if out := must(t, d.Run, "run", "--rm", "busybox", "echo", "again"); out != "again\n" {
		t.Errorf("run after the monitor died: %q", out)
	}
}

// procState is the state letter of a process ("" if it is gone).
func procState(pid int) string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}
