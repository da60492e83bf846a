package container_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/berth-project/berth/cli"
	"github.com/berth-project/berth/cli/command"
	"github.com/moby/moby/client"
)

// fakeEngine is a minimal in-process Engine API: tests register handlers
// per "METHOD /path" (version prefix stripped) and it records calls.
type fakeEngine struct {
	mu       sync.Mutex
	handlers map[string]http.HandlerFunc
	calls    []string
	bodies   map[string][]byte
}

var versionPrefix = regexp.MustCompile(`^/v[0-9.]+`)

func newFakeEngine(t *testing.T) (*fakeEngine, *httptest.Server) {
	fe := &fakeEngine{handlers: map[string]http.HandlerFunc{}, bodies: map[string][]byte{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := versionPrefix.ReplaceAllString(r.URL.Path, "")
		key := r.Method + " " + p
		body, _ := io.ReadAll(r.Body)
		fe.mu.Lock()
		fe.calls = append(fe.calls, key)
		fe.bodies[key] = body
		h := fe.handlers[key]
		fe.mu.Unlock()
		if p == "/_ping" {
			w.Header().Set("Api-Version", "1.51")
			w.Write([]byte("OK"))
			return
		}
		if h == nil {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotImplemented)
			json.NewEncoder(w).Encode(map[string]string{"message": "fake: no handler for " + key})
			return
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return fe, srv
}

func (fe *fakeEngine) on(key string, h http.HandlerFunc) {
	fe.mu.Lock()
	defer fe.mu.Unlock()
	fe.handlers[key] = h
}

func (fe *fakeEngine) called(key string) bool {
	fe.mu.Lock()
	defer fe.mu.Unlock()
	for _, c := range fe.calls {
		if c == key {
			return true
		}
	}
	return false
}

func jsonReply(status int, v any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
}

func errReply(status int, msg string) http.HandlerFunc {
	return jsonReply(status, map[string]string{"message": msg})
}

// run executes the CLI against srv and returns exit code, stdout, stderr.
func run(t *testing.T, srv *httptest.Server, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	c := command.NewCli(io.NopCloser(strings.NewReader(stdin)), &out, &errb)
	c.ClientOpts = []client.Opt{client.WithHost("tcp://" + srv.Listener.Addr().String())}
	t.Setenv("DOCKER_HOST", "")
	code := cli.RunCli(c, append([]string{"docker"}, args...))
	return code, out.String(), errb.String()
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
