package distribution

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
	"github.com/creack/pty"
)

// onTerminal runs a CLI with its output on a pseudo-terminal, where
// docker's jsonmessage display draws progress bars.
func onTerminal(t *testing.T, d *testutil.Daemon, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+d.Host, "DOCKER_CONFIG="+filepath.Join(d.Root, "cliconfig"))
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 160})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	io.Copy(&buf, f) // ends with EIO when the command exits
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, buf.String())
	}
	return buf.String()
}

// TestProgressBars: on a terminal both CLIs draw Docker's per-layer bars
// for pull and push from the daemon's progress stream.
func TestProgressBars(t *testing.T) {
	d := daemon(t)
	reg := startRegistry(t)
	bins := map[string]string{"berth": filepath.Join(d.Bin, "berth")}
	if p, err := exec.LookPath("docker"); err == nil {
		bins["docker"] = p
	}
	for name, bin := range bins {
		t.Run(name, func(t *testing.T) {
			ref := reg.Addr + "/bars/" + name + ":1"
			uniqueImage(t, d.Run, ref)
			out := onTerminal(t, d, bin, "push", ref)
			if !strings.Contains(out, "Pushing") || !strings.Contains(out, "[=") || !strings.Contains(out, "Pushed") {
				t.Errorf("push on a terminal drew no bars:\n%q", out)
			}
			mustRun(t, d.Run, "rmi", ref)
			out = onTerminal(t, d, bin, "pull", ref)
			for _, want := range []string{"Downloading", "[=", "Extracting", "Pull complete", "Digest: sha256:", "Status: Downloaded newer image"} {
				if !strings.Contains(out, want) {
					t.Errorf("pull on a terminal lacks %q:\n%q", want, out)
				}
			}
			mustRun(t, d.Run, "rmi", ref)
		})
	}
}
