package compose

import (
	"bytes"
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// TestExecRunTTY: on a terminal, exec and run allocate a TTY by default
// (and -T turns it off), as Compose does.
func TestExecRunTTY(t *testing.T) {
	p := newProject(t, "ttys", map[string]string{"compose.yaml": "services:\n  s:\n    image: busybox\n    command: [\"sleep\", \"1000\"]\n    stop_grace_period: 0s\n"})
	p.compose("up", "-d")
	onPty := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(p.d.Bin, "berth"), append([]string{"compose"}, args...)...)
		cmd.Dir = p.Dir
		cmd.Env = append(cleanEnv(), "DOCKER_HOST="+p.d.Host)
		f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var buf bytes.Buffer
		done := make(chan struct{})
		go func() { _, _ = io.Copy(&buf, f); close(done) }()
		_ = cmd.Wait()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
		}
		return strings.ReplaceAll(buf.String(), "\r", "")
	}
	if out := onPty("exec", "s", "tty"); !strings.Contains(out, "/dev/pts/") {
		t.Errorf("exec on a terminal: %q", out)
	}
	if out := onPty("exec", "-T", "s", "sh", "-c", "tty || true"); !strings.Contains(out, "not a tty") {
		t.Errorf("exec -T: %q", out)
	}
	if out := onPty("run", "--rm", "s", "tty"); !strings.Contains(out, "/dev/pts/") {
		t.Errorf("run on a terminal: %q", out)
	}
}
