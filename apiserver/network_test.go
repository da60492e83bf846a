package apiserver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/apiserver/internal/fake"
	crouter "github.com/berth-project/berth/apiserver/router/container"
	nrouter "github.com/berth-project/berth/apiserver/router/network"
	"github.com/berth-project/berth/apiserver/router/notimpl"
	srouter "github.com/berth-project/berth/apiserver/router/system"
	"github.com/berth-project/berth/cli"
	"github.com/moby/moby/api/types/network"
)

// netEnv is a server with the network router over fake backends and two
// containers, c1 and c2, to connect.
type netEnv struct {
	sock string
	c    *fake.Containers
	n    *fake.Networks
}

func newNetEnv(t *testing.T) *netEnv {
	t.Helper()
	dir, err := os.MkdirTemp("", "bt-net")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	e := &netEnv{sock: filepath.Join(dir, "api.sock"), c: fake.NewContainers()}
	e.c.Add(&fake.Container{ID: strings.Repeat("c1", 32), Name: "c1", Running: true})
	e.c.Add(&fake.Container{ID: strings.Repeat("c2", 32), Name: "c2"})
	e.n = fake.NewNetworks(e.c)
	srv := New(Config{Version: "0.0.0-test", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv.Register(notimpl.NewRouter(), srouter.NewRouter(fake.NewSystem()), crouter.NewRouter(e.c), nrouter.NewRouter(e.n))
	l, err := net.Listen("unix", e.sock)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return e
}

type cliResult struct {
	out, err string
	code     int
}

// runDockerCLI runs the official docker CLI against sock.
func runDockerCLI(t *testing.T, bin, sock, stdin string, args ...string) cliResult {
	t.Helper()
	return runDockerCLIEnv(t, bin, sock, stdin, "DOCKER_API_VERSION=", args...)
}

// runDockerCLIEnv is runDockerCLI with one extra environment entry.
func runDockerCLIEnv(t *testing.T, bin, sock, stdin, env string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-H", "unix://" + sock}, args...)...)
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+t.TempDir(), "DOCKER_HOST=", "DOCKER_CONTEXT=", env)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("docker %v: %v", args, err)
	}
	return cliResult{out.String(), errb.String(), code}
}

// runBerthCLI runs our CLI in-process against sock.
func runBerthCLI(sock, stdin string, args ...string) cliResult {
	var out, errb bytes.Buffer
	code := cli.RunWithStreams(cli.Streams{In: io.NopCloser(strings.NewReader(stdin)), Out: &out, Err: &errb},
		append([]string{"docker", "-H", "unix://" + sock}, args...))
	return cliResult{out.String(), errb.String(), code}
}

// TestNetworkCLIsMatchDocker runs one script of network commands through
// the docker CLI and through ours, each against its own server with the
// same fake state, and requires identical stdout, stderr and exit codes.
func TestNetworkCLIsMatchDocker(t *testing.T) {
	bin, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("docker CLI not installed")
	}
	dockerEnv, berthEnv := newNetEnv(t), newNetEnv(t)
	// docker CLI v28 speaks API 1.50 at most; pin ours to it so that the
	// version-dependent fields (inspect's Status) are the same.
	t.Setenv("DOCKER_API_VERSION", "1.50")
	steps := []struct {
		stdin string
		args  []string
		code  int // expected exit code (both CLIs)
	}{
		{args: []string{"network", "ls"}},
		{args: []string{"network", "create", "--subnet", "10.10.0.0/24", "--gateway", "10.10.0.254", "--ip-range", "10.10.0.0/25",
			"--aux-address", "host1=10.10.0.200", "--label", "a=b", "-o", "com.docker.network.bridge.name=br1",
			"--internal", "--attachable", "--ipv6", "net1"}},
		// One subnet and at most one label per network: docker CLI v28
		// orders several by map iteration.
		{args: []string{"network", "create", "--ipv6", "--ipv4=false", "--subnet", "fd00:10::/64", "--gateway", "fd00:10::fe", "net6"}},
		{args: []string{"network", "create", "net2"}},
		{args: []string{"network", "create", "-d", "macvlan", "--scope", "local", "--ipam-driver", "default", "--ipam-opt", "x=y", "net10"}},
		{args: []string{"network", "create", "--config-only", "--subnet", "10.60.0.0/24", "cfg"}},
		{args: []string{"network", "create", "--config-from", "cfg", "-d", "macvlan", "derived"}},
		{args: []string{"network", "inspect", "-f", "{{.ConfigOnly}} {{.ConfigFrom.Network}}", "cfg", "derived"}},
		{args: []string{"network", "rm", "derived", "cfg"}},
		{args: []string{"network", "create", "net1"}, code: 1},
		{args: []string{"network", "create", "bridge"}, code: 1},
		{args: []string{"network", "create", "--gateway", "10.0.0.1", "x"}, code: 1},
		{args: []string{"network", "create", "--subnet", "10.20.0.0/16", "--gateway", "10.30.0.1", "x"}, code: 1},
		{args: []string{"network", "create", "--subnet", "10.20.0.0/16", "--subnet", "10.20.1.0/24", "x"}, code: 1},
		{args: []string{"network", "create", "--subnet", "10.20.0.0/16", "--aux-address", "a=10.9.0.1", "x"}, code: 1},
		{args: []string{"network", "create", "--subnet", "10.20.0.0/16", "--gateway", "10.40.0.1", "--gateway", "10.50.0.1", "x"}, code: 1},
		{args: []string{"network", "create"}, code: 1},
		{args: []string{"network", "create", "-l", "x=y", "x"}, code: 125},
		{args: []string{"network", "ls"}},
		{args: []string{"network", "list", "-q"}},
		{args: []string{"network", "ls", "--no-trunc"}},
		{args: []string{"network", "ls", "--format", "json"}},
		{args: []string{"network", "ls", "--format", "table {{.Name}}\t{{.IPv4}}\t{{.IPv6}}\t{{.Internal}}\t{{.Label \"a\"}}\t{{.CreatedAt}}"}},
		{args: []string{"network", "ls", "--format", "{{.Name}}", "-q"}},
		{args: []string{"network", "ls", "-f", "name=net", "-f", "type=custom"}},
		{args: []string{"network", "ls", "--filter", "driver=bridge", "--filter", "label=a=b"}},
		{args: []string{"network", "ls", "-f", "dangling=true"}},
		{args: []string{"network", "ls", "-f", "bogus=1"}, code: 1},
		{args: []string{"network", "ls", "-f", "type=nope"}, code: 1},
		{args: []string{"network", "ls", "-f", "nonsense"}, code: 125},
		{args: []string{"network", "inspect", "net1"}},
		{args: []string{"network", "inspect", "-f", "{{.Name}} {{.Driver}} {{json .IPAM}} {{.Internal}} {{index .Labels \"a\"}}", "net1", "bridge"}},
		{args: []string{"network", "inspect", "--format", "json", "net2"}},
		{args: []string{"network", "inspect", "-v", "host"}},
		{args: []string{"network", "inspect", "nope"}, code: 1},
		{args: []string{"inspect", "--type", "network", "-f", "{{.Name}} {{.Scope}}", "net2"}},
		{args: []string{"inspect", "-f", "{{.Id}}", "net2"}},
		{args: []string{"network", "inspect", "net2", "nope"}, code: 1},
		{args: []string{"network", "connect", "net1", "c1"}},
		{args: []string{"network", "connect", "--ip", "10.10.0.77", "--alias", "web", "--alias", "w2", "--link", "c1:db", "--driver-opt", "k=v", "net1", "c2"}},
		{args: []string{"network", "connect", "net1", "c1"}, code: 1},
		{args: []string{"network", "connect", "net1", "nope"}, code: 1},
		{args: []string{"network", "connect", "nonet", "c1"}, code: 1},
		{args: []string{"network", "connect", "--ip", "10.99.0.1", "net1", "c1"}, code: 1},
		{args: []string{"network", "connect", "--driver-opt", "bogus", "net1", "c1"}, code: 1},
		{args: []string{"network", "connect", "net1"}, code: 1},
		{args: []string{"network", "inspect", "net1"}},
		{args: []string{"network", "inspect", "-f", "{{range $id, $c := .Containers}}{{$c.Name}} {{$c.IPv4Address}} {{$c.MacAddress}}\n{{end}}", "net1"}},
		{args: []string{"network", "ls", "-f", "dangling=false"}},
		{args: []string{"network", "rm", "net1"}, code: 1},
		{args: []string{"network", "rm", "net10", "nope", "bridge"}, code: 1},
		{args: []string{"network", "rm", "-f", "nope"}},
		{args: []string{"network", "disconnect", "net1", "c1"}},
		{args: []string{"network", "disconnect", "net1", "c1"}, code: 1},
		{args: []string{"network", "disconnect", "-f", "net1", "c2"}},
		{args: []string{"network", "create", "--label", "keep=1", "net3"}},
		// docker joins several labels in map order; one label is stable.
		{args: []string{"network", "ls", "-f", "label=keep", "--format", "{{.Name}}: {{.Labels}}"}},
		{args: []string{"network", "prune"}, stdin: "n\n"},
		{args: []string{"network", "prune", "--filter", "label!=keep"}, stdin: "y\n"},
		{args: []string{"network", "prune", "-f"}},
		{args: []string{"network", "prune", "-f"}},
		{args: []string{"network", "prune", "-f", "--filter", "bogus=1"}, code: 1},
		{args: []string{"network", "remove", "net1"}, code: 1},
		{args: []string{"network", "ls"}},
	}
	for i, st := range steps {
		want := runDockerCLI(t, bin, dockerEnv.sock, st.stdin, st.args...)
		got := runBerthCLI(berthEnv.sock, st.stdin, st.args...)
		if want.code != st.code {
			t.Errorf("step %d %v: docker exited %d, test expects %d (stdout %q stderr %q)", i, st.args, want.code, st.code, want.out, want.err)
		}
		if got != want {
			t.Errorf("step %d %v:\n berth  %d stdout %q\n        stderr %q\n docker %d stdout %q\n        stderr %q",
				i, st.args, got.code, got.out, got.err, want.code, want.out, want.err)
		}
	}
}

// TestNetworkRouterRequests covers what the CLIs never send: body
// decoding, old-API fields and version rules.
func TestNetworkRouterRequests(t *testing.T) {
	ne := newNetEnv(t)
	e := &env{sock: ne.sock, hc: &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", ne.sock)
	}}}}
	tests := []struct {
		method, path, body string
		code               int
		msg                string // substring of the body
	}{
		{"POST", "/networks/create", `{"Name":"a","Bogus":1}`, 201, `"Id":"`},
		{"POST", "/networks/create", `{"Name":`, 400, `invalid JSON`},
		{"POST", "/networks/create", `{"Name":" "}`, 400, `invalid name: name is empty`},
		{"POST", "/networks/create", `{}`, 400, `invalid name: name is empty`},
		{"POST", "/v1.43/networks/create", `{"Name":"old","CheckDuplicate":true,"EnableIPv4":false}`, 201, `"Id":"` + fake.NetworkID("old") + `"`},
		{"POST", "/networks/create", `{"Name":"subnets","IPAM":{"Config":[{"Subnet":"10.1.0.0/16","Gateway":"10.2.0.1"}]}}`, 400, `invalid gateway 10.2.0.1`},
		{"GET", "/networks?filters=" + `{"bogus":{"x":true}}`, "", 400, `invalid filter 'bogus'`},
		{"GET", "/networks?filters=" + `{"dangling":{"maybe":true}}`, "", 400, `invalid value for filter 'dangling'`},
		{"GET", "/networks/", "", 200, `"Name":"bridge"`},
		{"GET", "/v1.27/networks?filters=" + `{"name":{"bridge":true}}`, "", 200, `"Containers":{}`},
		{"GET", "/v1.28/networks?filters=" + `{"name":{"bridge":true}}`, "", 200, `"Labels":{}}]`},
		{"GET", "/networks/bridge?verbose=maybe", "", 400, `invalid value for verbose: maybe`},
		{"GET", "/networks/bridge?scope=swarm", "", 404, `network bridge not found`},
		{"GET", "/v1.51/networks/bridge", "", 200, `"Containers":{}`},
		{"GET", "/networks/nope", "", 404, `network nope not found`},
		{"POST", "/networks/bridge/connect", `{"Container":"c1","EndpointConfig":{"Aliases":"x"}}`, 400, `invalid JSON: json: cannot unmarshal string`},
		{"POST", "/networks/bridge/disconnect", `{"Container":"c1"}`, 403, `is not connected`},
		{"POST", "/networks/prune?filters=" + `{"until":{"1h":true,"2h":true}}`, "", 400, `more than one until filter specified`},
		{"POST", "/networks/prune?filters=" + `{"dangling":{"true":true}}`, "", 400, `invalid filter 'dangling'`},
		{"POST", "/v1.24/networks/prune", "", 400, `POST /networks/prune requires minimum API version 1.25`},
		{"POST", "/v1.25/networks/prune?filters=" + `{"label":{"nothing":true}}`, "", 200, `{"NetworksDeleted":null}`},
		{"DELETE", "/networks/host", "", 403, `host is a pre-defined network and cannot be removed`},
		{"DELETE", "/networks/old", "", 204, ``},
	}
	for _, tt := range tests {
		path := strings.ReplaceAll(strings.ReplaceAll(tt.path, `"`, "%22"), " ", "%20")
		path = strings.ReplaceAll(strings.ReplaceAll(path, "{", "%7B"), "}", "%7D")
		resp := e.do(t, tt.method, path, "application/json", tt.body)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != tt.code || !strings.Contains(string(body), tt.msg) {
			t.Errorf("%s %s %s: %d %s, want %d with %q", tt.method, tt.path, tt.body, resp.StatusCode, body, tt.code, tt.msg)
		}
	}
	// API < 1.48 cannot turn IPv4 off; the default driver is bridge.
	if c := ne.n.LastCreate; c.EnableIPv4 != nil || c.Driver != "bridge" {
		t.Errorf("old create reached the backend as %+v", c)
	}
	// Status is only sent from API 1.52 on.
	for _, tc := range []struct {
		version string
		want    bool
	}{{"1.51", false}, {"1.52", true}} {
		resp := e.do(t, "GET", "/v"+tc.version+"/networks/bridge", "", "")
		var nw network.Inspect
		if err := json.NewDecoder(resp.Body).Decode(&nw); err != nil {
			t.Fatal(err)
		}
		if (nw.Status != nil) != tc.want {
			t.Errorf("API %s: Status = %+v", tc.version, nw.Status)
		}
	}
	// MacAddress on connect counts from API 1.54 on.
	for _, tc := range []struct {
		version, net string
		want         bool
	}{{"1.53", "bridge", false}, {"1.54", "host", true}} {
		body := `{"Container":"c2","EndpointConfig":{"MacAddress":"02:42:ac:11:00:09"}}`
		resp := e.do(t, "POST", "/v"+tc.version+"/networks/"+tc.net+"/connect", "application/json", body)
		if resp.StatusCode != 200 {
			b, _ := io.ReadAll(resp.Body)
			t.Fatalf("connect %s: %d %s", tc.version, resp.StatusCode, b)
		}
		if got := len(ne.n.LastConnect.EndpointConfig.MacAddress) > 0; got != tc.want {
			t.Errorf("API %s: MacAddress reached backend = %v", tc.version, got)
		}
	}
}

// TestNetworkOldAPIDockerCLI drives the routes with the docker CLI pinned to
// old API versions, whose request bodies differ (CheckDuplicate before
// 1.44, no EnableIPv4 before 1.48).
func TestNetworkOldAPIDockerCLI(t *testing.T) {
	bin, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("docker CLI not installed")
	}
	for _, v := range []string{"1.24", "1.41", "1.43", "1.47"} {
		e := newNetEnv(t)
		name := "old" + strings.ReplaceAll(v, ".", "")
		steps := []struct {
			args []string
			out  string
		}{
			{[]string{"network", "create", "--subnet", "10.5.0.0/24", "--label", "v=" + v, name}, fake.NetworkID(name) + "\n"},
			{[]string{"network", "ls", "-f", "label=v=" + v, "--format", "{{.Name}} {{.Driver}}"}, name + " bridge\n"},
			{[]string{"network", "connect", "--alias", "x", name, "c1"}, ""},
			{[]string{"network", "inspect", "-f", "{{range .Containers}}{{.Name}} {{.IPv4Address}}{{end}}", name}, "c1 10.5.0.2/24\n"},
			{[]string{"network", "disconnect", name, "c1"}, ""},
			{[]string{"network", "rm", name}, name + "\n"},
		}
		for _, st := range steps {
			r := runDockerCLIEnv(t, bin, e.sock, "", "DOCKER_API_VERSION="+v, st.args...)
			if r.code != 0 || r.out != st.out {
				t.Errorf("API %s: docker %v: exit %d stdout %q stderr %q, want %q", v, st.args, r.code, r.out, r.err, st.out)
			}
		}
		if e.n.LastCreate.EnableIPv4 != nil {
			t.Errorf("API %s: EnableIPv4 reached the backend", v)
		}
	}
}
