package ops

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
	"github.com/moby/moby/api/types/container"
)

func restartCount(t *testing.T, d *testutil.Daemon, name string) int {
	t.Helper()
	return int(inspect(t, d, name)["RestartCount"].(float64))
}

func TestRestartOnFailureCounts(t *testing.T) {
	d := daemon(t)
	must(t, d.Run, "run", "-d", "--name", "onfail", "--restart", "on-failure:3", "busybox", "sh", "-c", "exit 3")
	defer d.Run("rm", "-f", "onfail")
	// Back-off 100+200+400 ms: three restarts, then the policy gives up.
	eventually(t, 20*time.Second, "three restarts", func() bool {
		st := state(t, d, "onfail")
		return st["Status"] == "exited" && restartCount(t, d, "onfail") == 3
	})
	time.Sleep(time.Second)
	st := state(t, d, "onfail")
	if n := restartCount(t, d, "onfail"); n != 3 || st["Status"] != "exited" || st["ExitCode"].(float64) != 3 {
		t.Fatalf("after give-up: count %d state %v", n, st)
	}
	// A successful exit does not restart on-failure.
	must(t, d.Run, "run", "-d", "--name", "onfail0", "--restart", "on-failure", "busybox", "true")
	defer d.Run("rm", "-f", "onfail0")
	time.Sleep(1500 * time.Millisecond)
	if n := restartCount(t, d, "onfail0"); n != 0 {
		t.Fatalf("on-failure restarted a clean exit %d times", n)
	}
}

func TestRestartAlwaysStopIsRespected(t *testing.T) {
	d := daemon(t)
	// It exits every 0.3 s until /stay exists (copied in before the manual
	// start below), then stays up, so that check cannot race a restart.
	must(t, d.Run, "run", "-d", "--name", "alw", "--restart", "always", "busybox", "sh", "-c", "test -f /stay && exec sleep 300; sleep 0.3")
	defer d.Run("rm", "-f", "alw")
	eventually(t, 20*time.Second, "two restarts", func() bool { return restartCount(t, d, "alw") >= 2 })
	// ps shows it while it restarts, as Docker counts it running.
	if out := must(t, d.Run, "ps", "--filter", "name=alw", "--format", "{{.Names}}"); out != "alw\n" {
		t.Fatalf("ps: %q", out)
	}
	must(t, d.Run, "stop", "-t", "1", "alw")
	n := restartCount(t, d, "alw")
	time.Sleep(2 * time.Second)
	st := state(t, d, "alw")
	if st["Status"] != "exited" || restartCount(t, d, "alw") != n {
		t.Fatalf("a stopped always container came back: %v (count %d -> %d)", st["Status"], n, restartCount(t, d, "alw"))
	}
	// A manual start zeroes the count, as Docker does.
	stay := filepath.Join(t.TempDir(), "stay")
	if err := os.WriteFile(stay, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	must(t, d.Run, "cp", stay, "alw:/stay")
	must(t, d.Run, "start", "alw")
	if n := restartCount(t, d, "alw"); n != 0 {
		t.Fatalf("RestartCount after manual start: %d", n)
	}
	must(t, d.Run, "rm", "-f", "alw")
}

func TestRestartBackoffDoesNotSpin(t *testing.T) {
	d := daemon(t)
	must(t, d.Run, "run", "-d", "--name", "spin", "--restart", "always", "busybox", "true")
	defer d.Run("rm", "-f", "spin")
	// 100 ms doubling: after 4 s there have been at most ~6 restarts
	// (0.1+0.2+0.4+0.8+1.6 = 3.1 s), never dozens.
	time.Sleep(4 * time.Second)
	n := restartCount(t, d, "spin")
	if n < 3 || n > 7 {
		t.Fatalf("restarts in 4 s: %d, want 3..7 with back-off", n)
	}
	out := must(t, d.Run, "ps", "-a", "--filter", "name=spin", "--format", "{{.Status}}")
	if !strings.HasPrefix(out, "Restarting (0)") && !strings.HasPrefix(out, "Up ") {
		t.Fatalf("status: %q", out)
	}
	// rm without -f refuses a restarting container (or a running one).
	if out, err := d.Run("rm", "spin"); err == nil {
		t.Fatalf("rm of an always container succeeded: %s", out)
	}
}

func TestUpdateRestartPolicy(t *testing.T) {
	d := daemon(t)
	must(t, d.Run, "run", "-d", "--name", "upd", "busybox", "sh", "-c", "sleep 1; exit 2")
	defer d.Run("rm", "-f", "upd")
	must(t, d.Run, "update", "--restart", "on-failure:2", "upd")
	if p := inspect(t, d, "upd")["HostConfig"].(map[string]any)["RestartPolicy"].(map[string]any); p["Name"] != "on-failure" || p["MaximumRetryCount"].(float64) != 2 {
		t.Fatalf("policy after update: %v", p)
	}
	eventually(t, 30*time.Second, "two restarts after update", func() bool {
		return restartCount(t, d, "upd") == 2 && state(t, d, "upd")["Status"] == "exited"
	})
	out, err := d.Run("update", "--restart", "sometimes", "upd")
	if err == nil {
		t.Fatalf("update with a bad policy: %s", out)
	}
}

func TestBadRestartPolicyAtCreate(t *testing.T) {
	d := daemon(t)
	before := must(t, d.Run, "ps", "-aq")
	for _, tt := range []struct {
		policy container.RestartPolicy
		msg    string
	}{
		{container.RestartPolicy{Name: "sometimes"}, "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"},
		{container.RestartPolicy{Name: "on-failure", MaximumRetryCount: -1}, "invalid restart policy: maximum retry count cannot be negative"},
		{container.RestartPolicy{Name: "always", MaximumRetryCount: 2}, "invalid restart policy: maximum retry count can only be used with 'on-failure'"},
	} {
		body, _ := json.Marshal(map[string]any{"Image": "busybox", "Cmd": []string{"true"}, "HostConfig": map[string]any{"RestartPolicy": tt.policy}})
		code, msg := post(t, d, "/containers/create", body)
		if code != 400 || msg != tt.msg {
			t.Errorf("%v: %d %q, want 400 %q", tt.policy, code, msg, tt.msg)
		}
	}
	if after := must(t, d.Run, "ps", "-aq"); after != before {
		t.Fatalf("a rejected create left a container: %q -> %q", before, after)
	}
}

func TestRestartPoliciesAcrossDaemonRestart(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.LoadBusybox(t)
	must(t, d.Run, "run", "-d", "--name", "a-run", "--restart", "always", "busybox", "sleep", "1d")
	must(t, d.Run, "run", "-d", "--name", "a-stopped", "--restart", "always", "busybox", "sleep", "1d")
	must(t, d.Run, "run", "-d", "--name", "u-run", "--restart", "unless-stopped", "busybox", "sleep", "1d")
	must(t, d.Run, "run", "-d", "--name", "u-stopped", "--restart", "unless-stopped", "busybox", "sleep", "1d")
	must(t, d.Run, "run", "-d", "--name", "none", "busybox", "sleep", "1d")
	must(t, d.Run, "stop", "-t", "0", "a-stopped", "u-stopped")
	// Without live-restore the daemon stops every container on the way
	// down; the policies decide which come back.
	if err := d.Restart(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a-run": "running", "a-stopped": "running", "u-run": "running", "u-stopped": "exited", "none": "exited"}
	for name, st := range want {
		if got := state(t, d, name)["Status"]; got != st {
			t.Errorf("%s after daemon restart: %v, want %s", name, got, st)
		}
	}
	must(t, d.Run, "rm", "-f", "a-run", "a-stopped", "u-run", "u-stopped", "none")
}
