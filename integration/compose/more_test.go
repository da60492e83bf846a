package compose

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestWaitFollowEvents(t *testing.T) {
	p := newProject(t, "misc", map[string]string{"compose.yaml": `services:
  talker:
    image: busybox
    command: ["sh", "-c", "for i in 1 2 3; do echo line$$i; sleep 0.3; done"]
  srv:
    image: busybox
    command: ["sleep", "1000"]
    stop_grace_period: 0s
`})
	// --wait returns once everything runs (or completed with 0).
	out := p.compose("up", "-d", "--wait")
	mustContain(t, out, "Container misc-srv-1  Healthy")
	// logs -f ends when the followed container ends.
	start := time.Now()
	out = p.compose("logs", "-f", "--no-log-prefix", "talker")
	if !strings.Contains(out, "line1\nline2\nline3") {
		t.Errorf("logs -f --no-log-prefix: %q", out)
	}
	if time.Since(start) > 30*time.Second {
		t.Error("logs -f did not return after the container exited")
	}

	// events streams the project's container events.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(p.d.Bin, "berth"), "compose", "events", "--json")
	cmd.Dir = p.Dir
	cmd.Env = append(cleanEnv(), "DOCKER_HOST="+p.d.Host)
	var buf strings.Builder
	cmd.Stdout = &buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	p.compose("restart", "srv")
	eventually(t, 10*time.Second, func() error {
		if !strings.Contains(buf.String(), `"service":"srv"`) || !strings.Contains(buf.String(), `"action":"start"`) {
			return errorf("events: %q", buf.String())
		}
		return nil
	})
	cancel()
	_ = cmd.Wait()

	// COMPOSE_PROJECT_NAME names what up creates; ps finds it by name.
	p.env = []string{"COMPOSE_PROJECT_NAME=renamed"}
	p.compose("up", "-d", "srv")
	if _, err := p.run("inspect", "renamed-srv-1"); err != nil {
		t.Fatal("COMPOSE_PROJECT_NAME not used for names")
	}
	mustContain(t, p.compose("ps"), "renamed-srv-1")
	p.compose("down", "-t", "0")
	p.env = nil
}
