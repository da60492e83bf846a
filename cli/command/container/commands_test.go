package container_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

const fullID = "4c9b1a2e7f10aabbccddeeff00112233445566778899aabbccddeeff00112233"

func TestUsageErrors(t *testing.T) {
	_, srv := newFakeEngine(t)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"rm"}, 1, "docker: 'docker rm' requires at least 1 argument\n\nUsage:  docker rm [OPTIONS] CONTAINER [CONTAINER...]\n\nSee 'docker rm --help' for more information\n"},
		{[]string{"rename", "a"}, 1, "docker: 'docker rename' requires 2 arguments\n\nUsage:  docker rename CONTAINER NEW_NAME\n\nRun 'docker rename --help' for more information\n"},
		{[]string{"ps", "--bogus"}, 125, "unknown flag: --bogus\n\nUsage:  docker ps [OPTIONS]\n\nRun 'docker ps --help' for more information\n"},
		{[]string{"container", "foo"}, 1, "docker: unknown command: docker container foo\n\nUsage:  docker container\n\nRun 'docker container --help' for more information\n"},
		{[]string{"run", "--restart=always", "--rm", "busybox"}, 125, "docker: conflicting options: cannot specify both --restart and --rm\n\nRun 'docker run --help' for more information\n"},
	}
	for _, tc := range tests {
		code, _, stderr := run(t, srv, "", tc.args...)
		if code != tc.code || stderr != tc.want {
			t.Errorf("%v: exit %d stderr %q; want %d %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
}

func TestRmErrorsAndForce(t *testing.T) {
	fe, srv := newFakeEngine(t)
	fe.on("DELETE /containers/missing", errReply(404, "No such container: missing"))
	fe.on("DELETE /containers/ok", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("force") != "1" && strings.Contains(r.URL.RawQuery, "force") {
			t.Errorf("unexpected query %s", r.URL.RawQuery)
		}
		w.WriteHeader(http.StatusNoContent)
	})
	code, out, stderr := run(t, srv, "", "rm", "ok", "missing")
	if code != 1 || out != "ok\n" || stderr != "Error response from daemon: No such container: missing\n" {
		t.Fatalf("rm: %d %q %q", code, out, stderr)
	}
	code, out, stderr = run(t, srv, "", "rm", "-f", "missing")
	if code != 0 || out != "" || stderr != "" {
		t.Fatalf("rm -f: %d %q %q", code, out, stderr)
	}
}

func TestPsTable(t *testing.T) {
	fe, srv := newFakeEngine(t)
	created := time.Now().Add(-3 * time.Minute).Unix()
	fe.on("GET /containers/json", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("all") != "1" {
			t.Errorf("ps -a did not send all=1: %s", r.URL.RawQuery)
		}
		jsonReply(200, []container.Summary{{
			ID: fullID, Names: []string{"/web"}, Image: "nginx", ImageID: "sha256:deadbeef",
			Command: "/docker-entrypoint.sh nginx -g 'daemon off;'", Created: created,
			Status: "Up 3 minutes", State: "running",
			Ports:  []container.PortSummary{{IP: mustAddr("0.0.0.0"), PrivatePort: 80, PublicPort: 4000, Type: "tcp"}, {PrivatePort: 443, Type: "tcp"}},
			Labels: map[string]string{"b": "2", "a": "1"},
		}})(w, r)
	})
	code, out, stderr := run(t, srv, "", "ps", "-a")
	if code != 0 {
		t.Fatalf("ps: %d %s", code, stderr)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("ps output:\n%s", out)
	}
	for _, col := range []string{"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"} {
		if !strings.Contains(lines[0], col) {
			t.Errorf("header %q lacks %q", lines[0], col)
		}
	}
	for _, want := range []string{"4c9b1a2e7f10", "nginx", `"/docker-entrypoint.…"`, "3 minutes ago", "Up 3 minutes", "443/tcp, 0.0.0.0:4000->80/tcp", "web"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("row %q lacks %q", lines[1], want)
		}
	}

	code, out, _ = run(t, srv, "", "ps", "-a", "-q", "--no-trunc")
	if code != 0 || out != fullID+"\n" {
		t.Fatalf("ps -q --no-trunc: %q", out)
	}
	code, out, _ = run(t, srv, "", "ps", "-a", "--format", `{{.Names}} {{.Labels}} {{.Label "a"}} {{.State}}`)
	if code != 0 || out != "web a=1,b=2 1 running\n" {
		t.Fatalf("ps --format: %q", out)
	}
	code, out, _ = run(t, srv, "", "ps", "-a", "--format", "json")
	var m map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &m) != nil || m["Names"] != "web" || m["Ports"] != "443/tcp, 0.0.0.0:4000->80/tcp" {
		t.Fatalf("ps --format json: %q", out)
	}
}

func TestRunDetachedPullsMissingImage(t *testing.T) {
	fe, srv := newFakeEngine(t)
	var creates int
	var gotCfg struct {
		container.Config
		HostConfig container.HostConfig
	}
	fe.on("POST /containers/create", func(w http.ResponseWriter, r *http.Request) {
		creates++
		if creates == 1 {
			errReply(404, "No such image: busybox:latest")(w, r)
			return
		}
		if r.URL.Query().Get("name") != "bt1" {
			t.Errorf("name = %q", r.URL.Query().Get("name"))
		}
		jsonReply(201, container.CreateResponse{ID: fullID})(w, r)
	})
	fe.on("POST /images/create", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("fromImage") != "docker.io/library/busybox" || r.URL.Query().Get("tag") != "latest" {
			t.Errorf("pull query %s", r.URL.RawQuery)
		}
		w.Write([]byte(`{"status":"Pulling from library/busybox","id":"latest"}` + "\n" + `{"status":"Status: Downloaded newer image for busybox:latest"}` + "\n"))
	})
	fe.on("POST /containers/"+fullID+"/start", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	fe.on("POST /containers/"+fullID+"/wait", jsonReply(200, container.WaitResponse{}))

	code, out, stderr := run(t, srv, "", "run", "-d", "--name", "bt1", "--rm", "-p", "127.0.0.1:8080:80", "-e", "A=1", "-m", "64m", "--cpus", "1.5", "busybox", "sleep", "10")
	if code != 0 || out != fullID+"\n" {
		t.Fatalf("run -d: %d %q %q", code, out, stderr)
	}
	if !strings.HasPrefix(stderr, "Unable to find image 'busybox:latest' locally\n") {
		t.Fatalf("stderr %q", stderr)
	}
	if err := json.Unmarshal(fe.bodies["POST /containers/create"], &gotCfg); err != nil {
		t.Fatal(err)
	}
	hc := gotCfg.HostConfig
	if !hc.AutoRemove || hc.Memory != 64<<20 || hc.NanoCPUs != 1500000000 || len(gotCfg.Cmd) != 2 || gotCfg.Env[0] != "A=1" {
		t.Fatalf("create body: %s", fe.bodies["POST /containers/create"])
	}
	if b := hc.PortBindings[network.MustParsePort("80/tcp")]; len(b) != 1 || b[0].HostPort != "8080" {
		t.Fatalf("port bindings: %v", hc.PortBindings)
	}
	if gotCfg.AttachStdout || gotCfg.AttachStderr {
		t.Fatal("-d must not attach")
	}
}

func TestRunStartErrorsMapToExitCodes(t *testing.T) {
	tests := []struct {
		msg  string
		code int
	}{
		{`failed to create task: exec: "nope": executable file not found in $PATH`, 127},
		{`exec /etc/passwd: permission denied`, 126},
		{`something else broke`, 125},
	}
	for _, tc := range tests {
		fe, srv := newFakeEngine(t)
		fe.on("POST /containers/create", jsonReply(201, container.CreateResponse{ID: fullID}))
		fe.on("POST /containers/"+fullID+"/start", errReply(400, tc.msg))
		fe.on("POST /containers/"+fullID+"/wait", jsonReply(200, container.WaitResponse{}))
		code, _, stderr := run(t, srv, "", "run", "-d", "busybox", "nope")
		want := "docker: Error response from daemon: " + tc.msg + "\n\nRun 'docker run --help' for more information\n"
		if code != tc.code || stderr != want {
			t.Errorf("%q: exit %d stderr %q", tc.msg, code, stderr)
		}
	}
}

func TestWaitAndStart(t *testing.T) {
	fe, srv := newFakeEngine(t)
	fe.on("POST /containers/c1/wait", jsonReply(200, container.WaitResponse{StatusCode: 3}))
	code, out, _ := run(t, srv, "", "wait", "c1")
	if code != 0 || out != "3\n" {
		t.Fatalf("wait: %d %q", code, out)
	}
	fe.on("POST /containers/c1/start", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	fe.on("POST /containers/c2/start", errReply(404, "No such container: c2"))
	code, out, stderr := run(t, srv, "", "start", "c1", "c2")
	if code != 1 || out != "c1\n" || stderr != "Error response from daemon: No such container: c2\nError: failed to start containers: c2\n" {
		t.Fatalf("start: %d %q %q", code, out, stderr)
	}
}

func TestContainerInspectFormat(t *testing.T) {
	fe, srv := newFakeEngine(t)
	fe.on("GET /containers/c1/json", jsonReply(200, map[string]any{"Id": fullID, "Name": "/c1", "State": map[string]any{"Status": "running", "Running": true}}))
	fe.on("GET /containers/nope/json", errReply(404, "No such container: nope"))
	code, out, _ := run(t, srv, "", "container", "inspect", "-f", "{{.State.Status}} {{.Name}}", "c1")
	if code != 0 || out != "running /c1\n" {
		t.Fatalf("inspect -f: %d %q", code, out)
	}
	code, _, stderr := run(t, srv, "", "container", "inspect", "nope")
	if code != 1 || !strings.Contains(stderr, "No such container: nope") {
		t.Fatalf("inspect missing: %d %q", code, stderr)
	}
}
