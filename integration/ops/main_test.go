// Package ops holds black-box integration tests of operations features:
// restart policies, health checks, stats, resource limits and
// live-restore, driven through our CLI, the official docker CLI and the
// moby Go client against private daemons.
package ops

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
	"github.com/moby/moby/client"
)

var shared = &testutil.Shared{Busybox: true}

func daemon(t *testing.T) *testutil.Daemon {
	t.Helper()
	return shared.Get(t)
}

func TestMain(m *testing.M) { shared.Main(m) }

func must(t *testing.T, run func(...string) (string, error), args ...string) string {
	t.Helper()
	out, err := run(args...)
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func apiClient(t *testing.T, d *testutil.Daemon) *client.Client {
	t.Helper()
	c, err := client.New(client.WithHost(d.Host), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// inspect decodes `inspect` of one container into a generic map, so a
// test sees which fields are present (not just their zero values).
func inspect(t *testing.T, d *testutil.Daemon, name string) map[string]any {
	t.Helper()
	out := must(t, d.Run, "inspect", name)
	var v []map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil || len(v) != 1 {
		t.Fatalf("inspect %s: %v %s", name, err, out)
	}
	return v[0]
}

func state(t *testing.T, d *testutil.Daemon, name string) map[string]any {
	t.Helper()
	return inspect(t, d, name)["State"].(map[string]any)
}

// eventually polls cond until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var bg = context.Background()

// post sends a JSON body to the API and returns the status and the
// error message (if any).
func post(t *testing.T, d *testutil.Daemon, path string, body []byte) (int, string) {
	t.Helper()
	resp, err := d.HTTPClient().Post("http://berth/v1.47"+path, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct{ Message string }
	_ = json.NewDecoder(resp.Body).Decode(&e)
	return resp.StatusCode, e.Message
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// rootDevice is the block device behind / (for --device-*-bps).
func rootDevice(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("findmnt", "-n", "-o", "SOURCE", "/").Output()
	if err != nil {
		t.Skip("findmnt:", err)
	}
	return strings.TrimSpace(string(out))
}

func testutilExit(err error) int { return testutil.ExitCode(err) }

func atoiT(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}
