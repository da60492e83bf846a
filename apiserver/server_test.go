package apiserver

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

func TestPingAndNegotiation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ping, err := e.cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
	if err != nil {
		t.Fatal(err)
	}
	if MaxAPIVersion != client.MaxAPIVersion || ping.APIVersion != MaxAPIVersion || ping.OSType != "linux" || ping.Experimental || ping.BuilderVersion != "1" {
		t.Fatalf("ping = %+v", ping)
	}
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		resp := e.do(t, method, "/_ping", "", "")
		body, _ := io.ReadAll(resp.Body)
		want := "OK"
		if method == http.MethodHead {
			want = ""
		}
		if resp.StatusCode != 200 || string(body) != want {
			t.Errorf("%s /_ping: %d %q", method, resp.StatusCode, body)
		}
		for k, v := range map[string]string{
			"Api-Version":         MaxAPIVersion,
			"Docker-Experimental": "false",
			"Ostype":              "linux",
			"Builder-Version":     "1",
			"Cache-Control":       "no-cache, no-store, must-revalidate",
			"Pragma":              "no-cache",
			"Server":              "berth/0.0.0-test (linux)",
		} {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("%s /_ping header %s = %q, want %q", method, k, got, v)
			}
		}
	}
	v, err := e.cli.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v.APIVersion != MaxAPIVersion || v.MinAPIVersion != MinAPIVersion || v.Os != "linux" || v.Version != "0.0.0-test" || len(v.Components) != 1 || v.Components[0].Name != "Engine" {
		t.Fatalf("version = %+v", v)
	}
}

func TestVersionedPathsAndErrors(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		method, path string
		ctype, body  string
		code         int
		msg          string // substring of the JSON message; "" = success body
	}{
		{"GET", "/v1.24/_ping", "", "", 200, ""},
		{"GET", "/v1.56/info", "", "", 200, ""},
		{"GET", "/v1.23/info", "", "", 400, "client version 1.23 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version"},
		{"GET", "/v1.99/info", "", "", 400, "client version 1.99 is too new. Maximum supported API version is 1.56"},
		{"GET", "/nope", "", "", 404, "page not found"},
		{"GET", "/v1.44/nope/deeper", "", "", 404, "page not found"},
		{"PUT", "/containers/json", "", "", 404, "page not found"},
		{"GET", "/containers/missing/json", "", "", 404, "No such container: missing"},
		{"POST", "/containers/missing/kill", "", "", 404, "cannot kill container: missing: No such container: missing"},
		{"POST", "/containers/create", "application/json", `{"Image":`, 400, "invalid JSON"},
		{"POST", "/containers/create", "application/json", `{"Image":"busybox","Tty":"yes"}`, 400, "Tty"},
		{"POST", "/containers/create", "application/json", `{"Image":"busybox","Bogus":1}`, 201, ""},
		{"POST", "/containers/create", "application/json", `{"Image":"busybox","HostConfig":{"Memroy":1}}`, 201, ""},
		// docker-py's containers.run(network=NAME) keys NetworkingConfig by the name.
		{"POST", "/containers/create", "application/json", `{"Image":"busybox","NetworkingConfig":{"pynet":null}}`, 201, ""},
		{"POST", "/containers/create", "application/json", `{"Image":"busybox","Env":"A=1"}`, 400, "invalid JSON: json: cannot unmarshal string into Go struct field"},
		{"POST", "/containers/create", "application/json", `{"Image":"busybox"} {}`, 400, "unexpected content after JSON"},
		{"POST", "/containers/create", "text/plain", `{"Image":"busybox"}`, 400, "unsupported Content-Type header (text/plain)"},
		{"POST", "/containers/create", "", ``, 400, "config cannot be empty"},
		{"POST", "/containers/create?platform=linux//", "application/json", `{"Image":"busybox"}`, 400, "invalid platform"},
		{"POST", "/containers/create?name=web", "application/json", `{"Image":"busybox"}`, 201, ""},
		{"POST", "/containers/create?name=web", "application/json", `{"Image":"busybox"}`, 409, `name "/web" is already in use`},
		{"POST", "/containers/web/start", "application/json", `{"HostConfig":{"Privileged":true}}`, 400, "non-empty request body"},
		{"POST", "/containers/web/start", "", "", 204, ""},
		{"POST", "/containers/web/start", "", "", 304, ""},
		{"POST", "/containers/web/stop?t=abc", "", "", 400, "invalid value for t"},
		{"POST", "/containers/web/resize?h=x&w=1", "", "", 400, "invalid resize height"},
		{"POST", "/containers/web/wait?condition=bogus", "", "", 400, `invalid condition: "bogus"`},
		{"GET", "/containers/web/logs", "", "", 400, "you must choose at least one stream"},
		{"GET", "/containers/json?filters=notjson", "", "", 400, "invalid filter"},
		{"GET", "/containers/json?filters=%7B%22bogus%22%3A%5B%22x%22%5D%7D", "", "", 400, "invalid filter 'bogus'"},
		{"GET", "/containers/json?limit=x", "", "", 400, "invalid value for limit"},
		{"POST", "/containers/web/exec", "application/json", `{"Cmd":[]}`, 400, "No exec command specified"},
		{"POST", "/containers/web/exec", "application/json", `{"Cmd":["ls"],"Nope":true}`, 201, ""},
		// docker-py's exec_create sends the container's ID in the body.
		{"POST", "/containers/web/exec", "application/json", `{"Cmd":["ls"],"Container":"web"}`, 201, ""},
		{"POST", "/exec/nope/start", "application/json", `{}`, 404, "No such exec instance: nope"},
		{"POST", "/containers/web/pause", "", "", 501, "not supported"},
		{"GET", "/containers/web/stats?stream=false", "", "", 200, ""},
		{"GET", "/containers/nope/stats", "", "", 404, "No such container"},
		{"GET", "/containers/web/attach/ws", "", "", 501, "websocket"},
		{"GET", "/networks", "", "", 501, "networks: not supported by berth yet"},
		{"POST", "/networks/create", "application/json", "{}", 501, "networks"},
		{"GET", "/volumes/foo", "", "", 501, "volumes"},
		{"POST", "/build", "", "", 501, "image build"},
		{"GET", "/distribution/docker.io/library/busybox:latest/json", "", "", 501, "distribution"},
		{"POST", "/images/create?fromImage=busybox&tag=latest", "", "", 501, "distribution package"},
		{"POST", "/images/create", "", "", 400, "fromImage or fromSrc"},
		{"POST", "/images/nope/tag?repo=x", "", "", 404, "No such image: nope"},
		{"POST", "/images/busybox/tag", "", "", 400, "repository name"},
		{"POST", "/commit?container=web&tag=x", "", "", 400, "without a repository"},
		{"GET", "/events?since=10&until=5", "", "", 400, "cannot be after `until`"},
		{"GET", "/events?since=yesterday", "", "", 400, "invalid timestamp"},
	}
	for _, tt := range tests {
		resp := e.do(t, tt.method, tt.path, tt.ctype, tt.body)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != tt.code {
			t.Errorf("%s %s: status %d, want %d (body %s)", tt.method, tt.path, resp.StatusCode, tt.code, body)
			continue
		}
		if tt.msg == "" {
			continue
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: content type %q", tt.method, tt.path, ct)
		}
		var m struct{ Message string }
		if err := json.Unmarshal(body, &m); err != nil || !strings.Contains(m.Message, tt.msg) {
			t.Errorf("%s %s: message %q, want it to contain %q (%v)", tt.method, tt.path, m.Message, tt.msg, err)
		}
	}
}

func TestShutdownEndsStreams(t *testing.T) {
	e := newEnv(t)
	resp := e.do(t, "GET", "/events", "", "")
	if resp.StatusCode != 200 {
		t.Fatalf("events: %d", resp.StatusCode)
	}
	ended := make(chan struct{})
	go func() {
		io.Copy(io.Discard, resp.Body)
		close(ended)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown with an open event stream: %v", err)
	}
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("event stream not ended by shutdown")
	}
}
