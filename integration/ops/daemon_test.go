package ops

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("Prometheus text parser: %v", err)
	}
	return fams
}

func metricValue(t *testing.T, fams map[string]*dto.MetricFamily, name, label, value string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("no metric %s", name)
	}
	for _, m := range f.Metric {
		hit := label == ""
		for _, lp := range m.Label {
			if lp.GetName() == label && lp.GetValue() == value {
				hit = true
			}
		}
		if !hit {
			continue
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	t.Fatalf("%s{%s=%q} not found", name, label, value)
	return 0
}

func TestMetricsInitAndReload(t *testing.T) {
	addr := freePort(t)
	d := testutil.StartDaemon(t, "--metrics-addr", addr)
	d.LoadBusybox(t)
	// daemon.json "init": true, read at start.
	if err := os.WriteFile(d.ConfigFile(), []byte(`{"init": true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.Restart(); err != nil {
		t.Fatal(err)
	}
	if out := must(t, d.Run, "run", "--rm", "busybox", "cat", "/proc/1/cmdline"); !strings.HasPrefix(out, "/sbin/docker-init\x00--") {
		t.Fatalf("pid 1 with daemon init: %q", out)
	}
	if out := must(t, d.Run, "run", "--rm", "--init=false", "busybox", "cat", "/proc/1/cmdline"); !strings.HasPrefix(out, "cat\x00") {
		t.Fatalf("pid 1 with --init=false: %q", out)
	}

	must(t, d.Run, "run", "-d", "--name", "m1", "--health-cmd", "true", "--health-interval", "200ms", "busybox", "sleep", "1d")
	defer d.Run("rm", "-f", "m1")
	must(t, d.Run, "create", "--name", "m2", "busybox", "true")
	defer d.Run("rm", "-f", "m2")
	eventually(t, 10*time.Second, "a health probe", func() bool {
		return metricValue(t, scrape(t, addr), "engine_daemon_health_checks_total", "", "") >= 1
	})
	fams := scrape(t, addr)
	for _, c := range []struct {
		name, label, value string
		min                float64
	}{
		{"engine_daemon_container_states_containers", "state", "running", 1},
		{"engine_daemon_container_states_containers", "state", "stopped", 1},
		{"engine_daemon_container_actions_seconds", "action", "create", 2},
		{"engine_daemon_container_actions_seconds", "action", "start", 1},
		{"engine_daemon_container_actions_seconds", "action", "delete", 1},
		{"engine_daemon_images", "", "", 1},
		{"engine_daemon_events_total", "", "", 3},
		{"engine_daemon_engine_cpus_cpus", "", "", 1},
	} {
		if v := metricValue(t, fams, c.name, c.label, c.value); v < c.min {
			t.Errorf("%s{%s=%s} = %v, want >= %v", c.name, c.label, c.value, v, c.min)
		}
	}
	if v := metricValue(t, fams, "engine_daemon_container_states_containers", "state", "running"); v != 1 {
		t.Errorf("running containers: %v", v)
	}

	// SIGHUP reloads daemon.json's reloadable keys, with a daemon event.
	since := itoa64(time.Now().Add(-time.Second).Unix())
	if out := must(t, d.Run, "info", "--format", "{{.Debug}}"); out != "false\n" {
		t.Fatalf("debug before reload: %q", out)
	}
	if err := os.WriteFile(d.ConfigFile(), []byte(`{"init": true, "debug": true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "reload", func() bool {
		out, _ := d.Run("info", "--format", "{{.Debug}}")
		return out == "true\n"
	})
	ev := must(t, d.Run, "events", "--since", since, "--until", itoa64(time.Now().Unix()+1), "--filter", "type=daemon", "--format", "{{.Action}} {{index .Actor.Attributes \"debug\"}}")
	if !strings.Contains(ev, "reload true") {
		t.Fatalf("reload event: %q", ev)
	}
	// A file that does not parse leaves the configuration as it was.
	_ = os.WriteFile(d.ConfigFile(), []byte(`{"debug": false, "nonsense-key": 1}`), 0o644)
	_ = d.Signal(syscall.SIGHUP)
	time.Sleep(500 * time.Millisecond)
	if out := must(t, d.Run, "info", "--format", "{{.Debug}}"); out != "true\n" {
		t.Fatalf("a bad reload changed the config: %q", out)
	}
	if !strings.Contains(d.Log(), "nonsense-key") {
		t.Fatalf("bad reload not logged:\n%s", d.Log())
	}
	_ = os.WriteFile(d.ConfigFile(), []byte(`{}`), 0o644)
}

// TestSocketActivation starts the daemon as systemd would for
// contrib/systemd/berth.socket: the listening socket on fd 3, LISTEN_FDS
// and LISTEN_PID set, -H fd://.
func TestSocketActivation(t *testing.T) {
	testutil.RequireRoot(t)
	bin := testutil.Binaries(t)
	root := t.TempDir()
	sock := filepath.Join(root, "act.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ul := l.(*net.UnixListener)
	ul.SetUnlinkOnClose(false) // the daemon serves the path from fd 3
	f, _ := ul.File()
	ul.Close()
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	bridge := "btfd" + hex.EncodeToString(b)
	args := fmt.Sprintf("LISTEN_PID=$$ LISTEN_FDS=1 exec %s daemon -H fd:// --data-root %s/data --exec-root %s/run --bridge %s --bip 10.%d.%d.1/24 --config-file %s/none.json",
		filepath.Join(bin, "berth"), root, root, bridge, 200+int(b[0])%50, b[1], root)
	_ = os.WriteFile(filepath.Join(root, "none.json"), []byte("{}"), 0o644)
	cmd := exec.Command("sh", "-c", args)
	cmd.ExtraFiles = []*os.File{f}
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		if _, err := os.Stat(sock); err != nil {
			t.Errorf("the daemon removed the systemd-owned socket: %v", err)
		}
		if out, _ := exec.Command("ip", "link", "show", bridge).CombinedOutput(); !bytes.Contains(out, []byte("does not exist")) {
			t.Errorf("bridge left behind: %s", out)
		}
	}()
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var dl net.Dialer
		return dl.DialContext(ctx, "unix", sock)
	}}}
	var body []byte
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("daemon log:\n%s", log.String())
		}
	})
	eventually(t, 20*time.Second, "the API on the activated socket", func() bool {
		resp, err := hc.Get("http://berth/version")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ = io.ReadAll(resp.Body)
		return resp.StatusCode == 200
	})
	if !bytes.Contains(body, []byte(`"ApiVersion"`)) {
		t.Fatalf("version: %s\n%s", body, log.String())
	}
}
