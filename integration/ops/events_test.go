package ops

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestContainerEvents: the container actions Docker reports beyond the
// life cycle ones, with their attributes.
func TestContainerEvents(t *testing.T) {
	d := daemon(t)
	since := itoa64(time.Now().Add(-time.Second).Unix())
	must(t, d.Run, "run", "-d", "--name", "ev", "busybox", "sleep", "1d")
	defer d.Run("rm", "-f", "ev")
	must(t, d.Run, "top", "ev")
	src := filepath.Join(t.TempDir(), "f.txt")
	_ = os.WriteFile(src, []byte("x"), 0o644)
	must(t, d.Run, "cp", src, "ev:/tmp/")
	must(t, d.Run, "cp", "ev:/tmp/f.txt", filepath.Join(t.TempDir(), "back.txt"))
	must(t, d.Run, "stop", "-t", "0", "ev")
	ev := must(t, d.Run, "events", "--since", since, "--until", itoa64(time.Now().Unix()+1), "--filter", "container=ev",
		"--format", "{{.Action}} {{index .Actor.Attributes \"path\"}}{{index .Actor.Attributes \"execDuration\"}}")
	for _, want := range []string{"top \n", "extract-to-dir /tmp/\n", "archive-path /tmp/f.txt\n", "stop \n"} {
		if !strings.Contains(ev, want) {
			t.Errorf("no %q in events:\n%s", want, ev)
		}
	}
	// die carries how long it ran, in whole seconds.
	if !regexp.MustCompile(`(?m)^die [0-9]+$`).MatchString(ev) {
		t.Errorf("no die with execDuration in events:\n%s", ev)
	}
}
