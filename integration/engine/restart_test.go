package engine

import (
	"strings"
	"testing"

	"github.com/berth-project/berth/internal/testutil"
)

// TestStateSurvivesRestart checks that images, tags and container records
// (with their logs) are kept across a daemon restart.
func TestStateSurvivesRestart(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.LoadBusybox(t)
	if out, err := d.Run("run", "--name", "persist", "busybox", "echo", "kept"); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	if out, err := d.Run("tag", "busybox", "keep/me:1"); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	if err := d.Restart(); err != nil {
		t.Fatal(err)
	}
	out, err := d.Run("ps", "-a", "--format", "{{.Names}} {{.Status}}")
	if err != nil || !strings.HasPrefix(out, "persist Exited (0)") {
		t.Errorf("after restart ps: %v %q", err, out)
	}
	if out, _ := d.Run("logs", "persist"); out != "kept\n" {
		t.Errorf("logs after restart: %q", out)
	}
	if out, _ := d.Run("images", "--format", "{{.Repository}}:{{.Tag}}", "keep/me"); out != "keep/me:1\n" {
		t.Errorf("images after restart: %q", out)
	}
	if out, err := d.Run("start", "-a", "persist"); err != nil || out != "kept\n" {
		t.Errorf("start -a after restart: %v %q", err, out)
	}
	if out, err := d.Run("rm", "persist"); err != nil {
		t.Errorf("%v %s", err, out)
	}
}
