package ops

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func healthOf(t *testing.T, name string, st map[string]any) map[string]any {
	t.Helper()
	h, ok := st["Health"].(map[string]any)
	if !ok {
		t.Fatalf("%s: State.Health missing: %v", name, st)
	}
	return h
}

func TestHealthTransitions(t *testing.T) {
	d := daemon(t)
	since := time.Now().Add(-time.Second).Unix()
	// Issue 21 item 9: Health is there from creation with a check, and
	// absent without one.
	must(t, d.Run, "create", "--name", "hc", "--health-cmd", "cat /tmp/h", "--health-interval", "300ms",
		"--health-retries", "2", "--health-start-period", "2s", "--health-start-interval", "100ms", "busybox", "sleep", "1d")
	defer d.Run("rm", "-f", "hc")
	must(t, d.Run, "create", "--name", "nohc", "busybox", "sleep", "1d")
	defer d.Run("rm", "-f", "nohc")
	if h := healthOf(t, "hc", state(t, d, "hc")); h["Status"] != "starting" {
		t.Fatalf("created: %v", h)
	}
	if _, ok := state(t, d, "nohc")["Health"]; ok {
		t.Fatalf("a container without a check has State.Health")
	}
	must(t, d.Run, "start", "hc", "nohc")
	// Failures inside the start period do not count.
	if out := must(t, d.Run, "ps", "--filter", "name=hc$", "--format", "{{.Status}}"); !strings.HasSuffix(out, "(health: starting)\n") {
		t.Fatalf("ps while starting: %q", out)
	}
	eventually(t, 15*time.Second, "unhealthy", func() bool { return healthOf(t, "hc", state(t, d, "hc"))["Status"] == "unhealthy" })
	h := healthOf(t, "hc", state(t, d, "hc"))
	log := h["Log"].([]any)
	last := log[len(log)-1].(map[string]any)
	if last["ExitCode"].(float64) != 1 || !strings.Contains(last["Output"].(string), "/tmp/h") || h["FailingStreak"].(float64) < 2 {
		t.Fatalf("unhealthy state: %v", h)
	}
	if len(log) > 5 {
		t.Fatalf("log keeps %d entries, Docker keeps 5", len(log))
	}
	if out := must(t, d.Run, "ps", "--filter", "health=unhealthy", "--format", "{{.Names}}"); out != "hc\n" {
		t.Fatalf("health=unhealthy: %q", out)
	}
	out := must(t, d.Run, "ps", "--filter", "health=none", "--format", "{{.Names}}")
	if names := " " + strings.Join(strings.Fields(out), " ") + " "; !strings.Contains(names, " nohc ") || strings.Contains(names, " hc ") {
		t.Fatalf("health=none: %q", out)
	}
	must(t, d.Run, "exec", "hc", "sh", "-c", "echo fine > /tmp/h")
	eventually(t, 15*time.Second, "healthy", func() bool { return healthOf(t, "hc", state(t, d, "hc"))["Status"] == "healthy" })
	h = healthOf(t, "hc", state(t, d, "hc"))
	log = h["Log"].([]any)
	if last := log[len(log)-1].(map[string]any); last["Output"] != "fine\n" || h["FailingStreak"].(float64) != 0 {
		t.Fatalf("healthy state: %v", h)
	}
	if out := must(t, d.Run, "ps", "--filter", "name=hc$", "--format", "{{.Status}}"); !strings.HasSuffix(out, "(healthy)\n") {
		t.Fatalf("ps healthy: %q", out)
	}
	if out, err := d.Docker(t, "inspect", "--format", "{{.State.Health.Status}}", "hc"); err != nil || out != "healthy\n" {
		t.Fatalf("docker inspect: %v %q", err, out)
	}
	if out, err := d.Docker(t, "ps", "--filter", "health=healthy", "--format", "{{.Names}} {{.Status}}"); err != nil || !strings.HasPrefix(out, "hc Up ") || !strings.HasSuffix(out, "(healthy)\n") {
		t.Fatalf("docker ps: %v %q", err, out)
	}
	ev := must(t, d.Run, "events", "--since", itoa64(since), "--until", itoa64(time.Now().Unix()+1),
		"--filter", "container=hc", "--filter", "event=health_status", "--format", "{{.Action}}")
	if !strings.Contains(ev, "health_status: unhealthy\n") || !strings.Contains(ev, "health_status: healthy\n") {
		t.Fatalf("health events: %q", ev)
	}
	// A stopped container's monitor is gone: unhealthy, as Docker says.
	must(t, d.Run, "stop", "-t", "0", "hc")
	if h := healthOf(t, "hc", state(t, d, "hc")); h["Status"] != "unhealthy" {
		t.Fatalf("after stop: %v", h)
	}
	if out, err := d.Run("ps", "--filter", "health=sick"); err == nil || !strings.Contains(out, "Unrecognised filter value for health: sick") {
		t.Fatalf("bad health filter: %v %q", err, out)
	}
}

func TestHealthTimeoutAndImageCheck(t *testing.T) {
	d := daemon(t)
	must(t, d.Run, "run", "-d", "--name", "slow", "--health-cmd", "sleep 5", "--health-timeout", "200ms",
		"--health-interval", "200ms", "--health-retries", "1", "busybox", "sleep", "1d")
	defer d.Run("rm", "-f", "slow")
	eventually(t, 15*time.Second, "unhealthy by timeout", func() bool { return healthOf(t, "slow", state(t, d, "slow"))["Status"] == "unhealthy" })
	log := healthOf(t, "slow", state(t, d, "slow"))["Log"].([]any)
	if last := log[0].(map[string]any); last["Output"] != "Health check exceeded timeout (200ms)" || last["ExitCode"].(float64) != -1 {
		t.Fatalf("timeout result: %v", last)
	}

	// HEALTHCHECK from the image, and --no-healthcheck turning it off.
	must(t, d.Run, "create", "--name", "base", "busybox", "true")
	must(t, d.Run, "commit", "--change", "HEALTHCHECK --interval=200ms --retries=1 CMD [\"true\"]", "base", "hcimage")
	defer d.Run("rmi", "hcimage")
	d.Run("rm", "base")
	must(t, d.Run, "run", "-d", "--name", "fromimg", "hcimage", "sleep", "1d")
	defer d.Run("rm", "-f", "fromimg")
	eventually(t, 15*time.Second, "healthy from image check", func() bool {
		return healthOf(t, "fromimg", state(t, d, "fromimg"))["Status"] == "healthy"
	})
	must(t, d.Run, "create", "--name", "nocheck", "--no-healthcheck", "hcimage", "sleep", "1d")
	defer d.Run("rm", "-f", "nocheck")
	if _, ok := state(t, d, "nocheck")["Health"]; ok {
		t.Fatal("--no-healthcheck still has State.Health")
	}
	var cfg struct{ Healthcheck struct{ Test []string } }
	if err := json.Unmarshal([]byte(must(t, d.Run, "inspect", "--format", "{{json .Config}}", "nocheck")), &cfg); err != nil || len(cfg.Healthcheck.Test) != 1 || cfg.Healthcheck.Test[0] != "NONE" {
		t.Fatalf("--no-healthcheck config: %v %v", err, cfg)
	}

	// Docker's create errors, nothing created.
	body := []byte(`{"Image":"busybox","Cmd":["true"],"Healthcheck":{"Test":["CMD","true"],"Retries":-1}}`)
	if code, msg := post(t, d, "/containers/create?name=badhc", body); code != 400 || msg != "Retries in Healthcheck cannot be negative" {
		t.Fatalf("negative retries: %d %q", code, msg)
	}
	body = []byte(`{"Image":"busybox","Cmd":["true"],"Healthcheck":{"Test":["CMD","true"],"Interval":1000}}`)
	if code, msg := post(t, d, "/containers/create?name=badhc", body); code != 400 || msg != "Interval in Healthcheck cannot be less than 1ms" {
		t.Fatalf("short interval: %d %q", code, msg)
	}
	if out, _ := d.Run("ps", "-a", "--filter", "name=badhc", "-q"); out != "" {
		t.Fatalf("rejected create left %q", out)
	}
}
