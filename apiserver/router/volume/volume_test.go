package volume_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/apiserver"
	"github.com/berth-project/berth/apiserver/router/notimpl"
	vrouter "github.com/berth-project/berth/apiserver/router/volume"
	"github.com/berth-project/berth/volume"
	cerrdefs "github.com/containerd/errdefs"
	volumetypes "github.com/moby/moby/api/types/volume"
	"github.com/moby/moby/client"
	bolt "go.etcd.io/bbolt"
)

var _ vrouter.Backend = (*volume.Service)(nil)

// newServer serves the volume routes over a real volume.Service on a
// temporary root (no root privileges needed: no option volume is mounted).
func newServer(t *testing.T) (*volume.Service, *httptest.Server) {
	t.Helper()
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, "berth.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	svc, err := volume.New(filepath.Join(dir, "volumes"), db)
	if err != nil {
		t.Fatal(err)
	}
	srv := apiserver.New(apiserver.Config{Version: "test"})
	srv.Register(notimpl.NewRouter(), vrouter.NewRouter(svc))
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return svc, ts
}

type response struct {
	code int
	body string
}

func do(t *testing.T, ts *httptest.Server, method, path, body string) response {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, strings.TrimSpace(string(b))}
}

func keys(t *testing.T, body string) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	var out []string
	for k, v := range m {
		out = append(out, k+"="+map[bool]string{true: "null", false: "set"}[string(v) == "null"])
	}
	sort.Strings(out)
	return out
}

func TestRoutes(t *testing.T) {
	svc, ts := newServer(t)
	if r := do(t, ts, "GET", "/v1.56/volumes", ""); r.code != 200 || r.body != `{"Volumes":[],"Warnings":null}` {
		t.Fatalf("empty list: %+v", r)
	}
	r := do(t, ts, "POST", "/v1.56/volumes/create", `{"Name":"data","Labels":{"app":"web"}}`)
	if r.code != 201 {
		t.Fatalf("create: %+v", r)
	}
	// Docker's shape: Options null when none were given, no Status, no
	// UsageData, Scope local, CreatedAt RFC 3339.
	if got, want := keys(t, r.body), []string{"CreatedAt=set", "Driver=set", "Labels=set", "Mountpoint=set", "Name=set", "Options=null", "Scope=set"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("create keys %v, want %v (%s)", got, want, r.body)
	}
	var v volumetypes.Volume
	if err := json.Unmarshal([]byte(do(t, ts, "GET", "/volumes/data", "").body), &v); err != nil {
		t.Fatal(err)
	}
	if v.Name != "data" || v.Driver != "local" || v.Scope != "local" || v.Labels["app"] != "web" || !strings.HasSuffix(v.Mountpoint, "/volumes/data/_data") {
		t.Fatalf("inspect %+v", v)
	}
	if _, err := time.Parse(time.RFC3339, v.CreatedAt); err != nil || strings.Contains(v.CreatedAt, ".") {
		t.Fatalf("CreatedAt %q: %v", v.CreatedAt, err)
	}
	// Empty maps sent by a client come back as {} rather than null.
	r = do(t, ts, "POST", "/volumes/create", `{"Name":"empty","Labels":{},"DriverOpts":{}}`)
	if !strings.Contains(r.body, `"Labels":{}`) || !strings.Contains(r.body, `"Options":{}`) {
		t.Fatalf("empty maps: %s", r.body)
	}
	if err := svc.AddRef("data", "c0ffee"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, path, body string
		code               int
		want               string // exact body, or the message of an error
	}{
		{"GET", "/volumes/nope", "", 404, "get nope: no such volume"},
		// Names with slashes reach the backend (Docker's {name:.*}).
		{"GET", "/volumes/x/y", "", 404, "get x/y: no such volume"},
		{"DELETE", "/volumes/a/../b", "", 404, "get a/../b: no such volume"},
		{"POST", "/volumes/create", `{"Name":"x/y"}`, 400, `create x/y: "x/y" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`},
		{"POST", "/volumes/create", `{"Name":"x"}`, 400, "create x: volume name is too short, names should be at least two alphanumeric characters"},
		{"POST", "/volumes/create", `{"Name":"v2","DriverOpts":{"x":"1"}}`, 400, `create v2: invalid option: "x"`},
		{"POST", "/volumes/create", `{"Name":"v2","Driver":"nfsplugin"}`, 404, `create v2: error looking up volume plugin nfsplugin: plugin "nfsplugin" not found`},
		{"POST", "/volumes/create", `{"Name":"v3","ClusterVolumeSpec":{}}`, 501, "cluster volumes are not implemented"},
		{"POST", "/volumes/create", `{"Name":`, 400, "invalid JSON: unexpected EOF"},
		{"DELETE", "/volumes/data", "", 409, "remove data: volume is in use - [c0ffee]"},
		{"DELETE", "/volumes/data?force=1", "", 409, "remove data: volume is in use - [c0ffee]"},
		{"DELETE", "/volumes/nope", "", 404, "get nope: no such volume"},
		{"DELETE", "/volumes/nope?force=true", "", 204, ""},
		{"PUT", "/v1.56/volumes/data?version=1", `{}`, 501, "volume update only valid for cluster volumes, and cluster volumes are not implemented"},
		{"GET", `/volumes?filters={"until":["1h"]}`, "", 400, "invalid filter 'until'"},
		{"GET", `/volumes?filters={"dangling":["maybe"]}`, "", 400, "invalid filter 'dangling=maybe'"},
		{"POST", `/volumes/prune?filters={"dangling":["true"]}`, "", 400, "invalid filter 'dangling'"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path+" "+tt.body, func(t *testing.T) {
			r := do(t, ts, tt.method, tt.path, tt.body)
			if r.code != tt.code {
				t.Fatalf("status %d, want %d: %s", r.code, tt.code, r.body)
			}
			got := r.body
			if tt.code >= 400 {
				var e struct{ Message string }
				if err := json.Unmarshal([]byte(r.body), &e); err != nil {
					t.Fatalf("error body %q: %v", r.body, err)
				}
				got = e.Message
			}
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func listNames(t *testing.T, ts *httptest.Server, query string) []string {
	t.Helper()
	r := do(t, ts, "GET", "/volumes"+query, "")
	var lr volumetypes.ListResponse
	if r.code != 200 || json.Unmarshal([]byte(r.body), &lr) != nil {
		t.Fatalf("list %s: %+v", query, r)
	}
	out := []string{}
	for _, v := range lr.Volumes {
		out = append(out, v.Name)
	}
	return out
}

func TestFiltersAndPruneVersions(t *testing.T) {
	svc, ts := newServer(t)
	ctx := context.Background()
	for _, n := range []string{"aa", "bb"} {
		if _, err := svc.Create(ctx, n, "", nil, map[string]string{"n": n}); err != nil {
			t.Fatal(err)
		}
	}
	anon, err := svc.Create(ctx, "", "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.AddRef("bb", "c1"); err != nil {
		t.Fatal(err)
	}
	for query, want := range map[string][]string{
		`?filters={"label":{"n=aa":true}}`:     {"aa"},
		`?filters={"label":["n"]}`:             {"aa", "bb"},
		`?filters={"dangling":{"false":true}}`: {"bb"},
		`?filters={"name":["^aa$"]}`:           {"aa"},
		`?filters={"driver":["local"]}`:        {"aa", anon.Name, "bb"},
	} {
		got := listNames(t, ts, query)
		sort.Strings(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %v, want %v", query, got, want)
		}
	}
	// API ≥ 1.42: anonymous volumes only.
	r := do(t, ts, "POST", "/v1.44/volumes/prune", "")
	if want := `{"VolumesDeleted":["` + anon.Name + `"],"SpaceReclaimed":0}`; r.code != 200 || r.body != want {
		t.Fatalf("prune 1.44: %+v, want %s", r, want)
	}
	// Older clients prune every unused volume; bb is in use.
	r = do(t, ts, "POST", "/v1.41/volumes/prune", "")
	if r.code != 200 || r.body != `{"VolumesDeleted":["aa"],"SpaceReclaimed":0}` {
		t.Fatalf("prune 1.41: %+v", r)
	}
	if r := do(t, ts, "POST", "/volumes/prune", ""); r.body != `{"VolumesDeleted":[],"SpaceReclaimed":0}` {
		t.Fatalf("empty prune: %+v", r)
	}
}

func TestClient(t *testing.T) {
	_, ts := newServer(t)
	ctx := context.Background()
	cli, err := client.New(client.WithHost("tcp://"+strings.TrimPrefix(ts.URL, "http://")), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	cr, err := cli.VolumeCreate(ctx, client.VolumeCreateOptions{Name: "c1", Labels: map[string]string{"k": "v"}})
	if err != nil || cr.Volume.Name != "c1" || cr.Volume.Labels["k"] != "v" {
		t.Fatalf("create %+v %v", cr, err)
	}
	ins, err := cli.VolumeInspect(ctx, "c1", client.VolumeInspectOptions{})
	if err != nil || ins.Volume.Mountpoint != cr.Volume.Mountpoint {
		t.Fatalf("inspect %+v %v", ins, err)
	}
	ls, err := cli.VolumeList(ctx, client.VolumeListOptions{Filters: make(client.Filters).Add("label", "k=v")})
	if err != nil || len(ls.Items) != 1 {
		t.Fatalf("list %+v %v", ls, err)
	}
	pr, err := cli.VolumePrune(ctx, client.VolumePruneOptions{All: true})
	if err != nil || !reflect.DeepEqual(pr.Report.VolumesDeleted, []string{"c1"}) {
		t.Fatalf("prune %+v %v", pr, err)
	}
	_, err = cli.VolumeRemove(ctx, "c1", client.VolumeRemoveOptions{})
	if !cerrdefs.IsNotFound(err) {
		t.Fatalf("remove pruned: %v", err)
	}
}

// TestDockerCLI runs the official docker CLI against the routes, so its
// real requests (with its API version and empty-map handling) are covered.
func TestDockerCLI(t *testing.T) {
	bin, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("docker CLI not installed")
	}
	svc, ts := newServer(t)
	cfg := t.TempDir()
	run := func(args ...string) (string, string, int) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "DOCKER_HOST=tcp://"+strings.TrimPrefix(ts.URL, "http://"), "DOCKER_CONFIG="+cfg, "DOCKER_CONTEXT=", "DOCKER_API_VERSION=")
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr, cmd.Stdin = &out, &errb, strings.NewReader("")
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), errb.String(), code
	}
	if out, errOut, code := run("volume", "create", "--label", "a=b", "-o", "type=tmpfs", "-o", "device=tmpfs", "dv"); code != 0 || out != "dv\n" {
		t.Fatalf("create: %q %q %d", out, errOut, code)
	}
	if v, _ := svc.Get("dv"); v.Options["type"] != "tmpfs" || v.Labels["a"] != "b" {
		t.Fatalf("stored %+v", v)
	}
	out, _, _ := run("volume", "ls")
	if out != "DRIVER    VOLUME NAME\nlocal     dv\n" {
		t.Fatalf("ls: %q", out)
	}
	out, _, _ = run("volume", "inspect", "-f", "{{.Scope}} {{.Labels}} {{.Options.type}}", "dv")
	if out != "local map[a:b] tmpfs\n" {
		t.Fatalf("inspect: %q", out)
	}
	_, errOut, code := run("volume", "create", "a/b")
	if code != 1 || !strings.Contains(errOut, `Error response from daemon: create a/b: "a/b" includes invalid characters for a local volume name`) {
		t.Fatalf("bad name: %q %d", errOut, code)
	}
	_, errOut, code = run("volume", "rm", "nope")
	if code != 1 || errOut != "Error response from daemon: get nope: no such volume\n" {
		t.Fatalf("rm missing: %q %d", errOut, code)
	}
	if out, _, code := run("volume", "rm", "dv"); code != 0 || out != "dv\n" {
		t.Fatalf("rm: %q %d", out, code)
	}
}
