package data

import (
	"strings"
	"testing"

	"github.com/berth-project/berth/internal/testutil"
)

// TestVolumePersistence: a named volume's data outlives its containers, a
// clean daemon restart and a daemon crash; references to it are restored
// so it still cannot be removed while a container uses it. A clean
// restart stops the running container (no live-restore), a crash leaves
// it running under its shim.
func TestVolumePersistence(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.LoadBusybox(t)
	run := cli(d.Run)
	vol := "persist-vol"
	must(t, run, "run", "--name", "first", "-v", vol+":/data", "busybox", "sh", "-c", "echo v1 > /data/f")
	must(t, run, "rm", "first")
	if out := must(t, run, "run", "--rm", "-v", vol+":/data", "busybox", "cat", "/data/f"); out != "v1\n" {
		t.Errorf("after re-creation: %q", out)
	}
	// a stopped container and a running one hold the volume across restarts
	must(t, run, "create", "--name", "holder", "-v", vol+":/data", "-v", "/anon", "busybox", "true")
	anon := ""
	for _, m := range inspectMounts(t, run, "holder") {
		if m.Destination == "/anon" {
			anon = m.Name
		}
	}
	must(t, run, "run", "-d", "--name", "runner", "-v", vol+":/data", "busybox", "sh", "-c", "grep -q v2 /data/f || echo v2 >> /data/f; sleep 1000")
	for _, s := range []struct {
		step    string
		restart func() error
	}{{"restart", d.Restart}, {"crash", d.Crash}} {
		step := s.step
		if err := s.restart(); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if step == "restart" {
			must(t, run, "start", "runner")
		}
		if out := must(t, run, "exec", "runner", "cat", "/data/f"); out != "v1\nv2\n" {
			t.Errorf("after %s, running container reads %q", step, out)
		}
		if out, err := run("volume", "rm", vol); err == nil || !strings.Contains(out, "volume is in use") {
			t.Errorf("after %s, volume rm of an in-use volume: %v %q", step, err, out)
		}
		ms := inspectMounts(t, run, "holder")
		if len(ms) != 2 {
			t.Errorf("after %s, holder mounts: %+v", step, ms)
		}
	}
	must(t, run, "rm", "-f", "runner")
	must(t, run, "rm", "-v", "holder")
	if volumeExists(run, anon) {
		t.Errorf("rm -v after restart left anonymous volume %s", anon)
	}
	if out := must(t, run, "run", "--rm", "-v", vol+":/data", "busybox", "cat", "/data/f"); out != "v1\nv2\n" {
		t.Errorf("after restarts: %q", out)
	}
	must(t, run, "volume", "rm", vol)
}
