// Package api holds black-box tests of Engine API edge semantics (error
// status codes and wording, validation, fields that depend on the API
// version the client negotiated) through the moby Go SDK and raw HTTP.
//
// Each test runs against a private berth daemon and, when
// BERTH_ORACLE_HOST names a Docker Engine socket (for instance a private
// dockerd started as bench/engines.sh does:
// BERTH_ORACLE_HOST=unix:///tmp/oracle/docker.sock), against that engine
// too, so that the expectations are Docker's own. The oracle needs a
// "busybox" image (scripts/mkbusybox.sh, docker import).
package api

import (
	"context"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
	"github.com/moby/moby/client"
)

var shared = &testutil.Shared{Busybox: true}

func TestMain(m *testing.M) { shared.Main(m) }

// engine is one daemon under test.
type engine struct {
	name   string // "berth" or "docker"
	host   string // unix://...
	maxAPI string // the highest API version it serves
}

// engines returns berth's shared daemon and, when configured, the oracle.
func engines(t *testing.T) []engine {
	t.Helper()
	d := shared.Get(t)
	out := []engine{{name: "berth", host: d.Host}}
	if h := os.Getenv("BERTH_ORACLE_HOST"); h != "" {
		out = append(out, engine{name: "docker", host: h})
	}
	for i := range out {
		v, err := newClient(t, out[i].host, "").ServerVersion(context.Background(), client.ServerVersionOptions{})
		if err != nil {
			t.Fatalf("%s: version: %v", out[i].name, err)
		}
		out[i].maxAPI = v.APIVersion
	}
	return out
}

// each runs fn once per engine as a subtest named after it.
func each(t *testing.T, fn func(t *testing.T, e engine)) {
	t.Helper()
	for _, e := range engines(t) {
		t.Run(e.name, func(t *testing.T) { fn(t, e) })
	}
}

// newClient returns an SDK client for host, pinned to version or, when
// version is "", negotiating.
func newClient(t *testing.T, host, version string) *client.Client {
	t.Helper()
	opts := []client.Opt{client.WithHost(host)}
	if version != "" {
		opts = append(opts, client.WithVersion(version))
	} else {
		opts = append(opts, client.WithAPIVersionNegotiation())
	}
	c, err := client.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func (e engine) client(t *testing.T) *client.Client { return newClient(t, e.host, "") }

// http returns a plain HTTP client on the engine's unix socket, for API
// versions below the SDK's minimum (1.40) and for raw bodies.
func (e engine) http() *http.Client {
	sock := strings.TrimPrefix(e.host, "unix://")
	return &http.Client{Timeout: time.Minute, Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// uniq names a test object after the test, so leaks point at their source.
func uniq(t *testing.T, suffix string) string {
	n := strings.NewReplacer("/", "-", " ", "-").Replace(strings.ToLower(t.Name()))
	if len(n) > 40 {
		n = n[len(n)-40:]
	}
	return strings.Trim(n, "-_.") + "-" + suffix
}
