// Package fakeapi is an in-process Engine API for CLI command tests:
// handlers per "METHOD /path" pattern, with the requests recorded.
package fakeapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/berth-project/berth/cli/command"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// API is an in-process Engine API: routes map "METHOD /path" (without
// the /vX.Y prefix) to handlers; requests are recorded for assertions.
type API struct {
	routes map[string]http.HandlerFunc
	// Reqs records every request, oldest first.
	Reqs []*http.Request
}

var versionPrefix = regexp.MustCompile(`^/v[0-9.]+`)

func (f *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := versionPrefix.ReplaceAllString(r.URL.Path, "")
	f.Reqs = append(f.Reqs, r)
	w.Header().Set("Api-Version", client.MaxAPIVersion)
	if path == "/_ping" {
		_, _ = io.WriteString(w, "OK")
		return
	}
	// An exact route wins over patterns; among patterns the longest wins,
	// so map iteration order cannot change which handler answers.
	if h, ok := f.routes[r.Method+" "+path]; ok {
		h(w, r)
		return
	}
	best := ""
	for key := range f.routes {
		method, pattern, _ := strings.Cut(key, " ")
		if method == r.Method && regexp.MustCompile("^"+pattern+"$").MatchString(path) && len(key) > len(best) {
			best = key
		}
	}
	if best != "" {
		f.routes[best](w, r)
		return
	}
	http.Error(w, `{"message":"page not found"}`, http.StatusNotFound)
}

// JSON answers with v as JSON.
func JSON(v any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
}

// Err answers with an Engine API error body.
func Err(code int, msg string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
	}
}

// Run executes the CLI args, with the commands add registers, against
// routes and returns stdout, stderr, the command's error and the API.
func Run(t testing.TB, add func(*cobra.Command, *command.Cli), routes map[string]http.HandlerFunc, stdin string, args ...string) (string, string, error, *API) {
	t.Helper()
	api := &API{routes: routes}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	var out, errb bytes.Buffer
	c := command.NewCli(io.NopCloser(strings.NewReader(stdin)), &out, &errb)
	c.ClientOpts = []client.Opt{client.WithHost("tcp://" + strings.TrimPrefix(srv.URL, "http://"))}
	root := &cobra.Command{Use: "docker", SilenceErrors: true, SilenceUsage: true}
	add(root, c)
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.Execute()
	return out.String(), errb.String(), err, api
}
