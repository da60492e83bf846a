package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/apiserver/router"
	buildrouter "github.com/berth-project/berth/apiserver/router/build"
	containerrouter "github.com/berth-project/berth/apiserver/router/container"
	imagerouter "github.com/berth-project/berth/apiserver/router/image"
	networkrouter "github.com/berth-project/berth/apiserver/router/network"
	systemrouter "github.com/berth-project/berth/apiserver/router/system"
	volumerouter "github.com/berth-project/berth/apiserver/router/volume"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// versionAtLeast compares dotted API versions.
func versionAtLeast(v, min string) bool {
	a, b := strings.Split(v, "."), strings.Split(min, ".")
	for i := 0; i < 2; i++ {
		x, _ := strconv.Atoi(a[i])
		y, _ := strconv.Atoi(b[i])
		if x != y {
			return x > y
		}
	}
	return true
}

var pathVar = regexp.MustCompile(`\{[^}]+\}`)

// TestEveryRouteAtEveryVersion walks berth's route table (every router the
// daemon registers; their route lists do not touch the backend) and calls
// each route unversioned and at /v1.24 (the minimum), /v1.38 (what
// docker-compose 1.29 pins), /v1.41 (Docker 20.10) and the advertised
// maximum: none may answer the router's 404 "page not found". Objects in
// the paths do not exist, so the calls fail in their handlers (404 "No
// such ...", 400) and change nothing; prunes get a filter matching nothing.
func TestEveryRouteAtEveryVersion(t *testing.T) {
	d := shared.Get(t)
	e := engine{name: "berth", host: d.Host}
	v, err := e.client(t).ServerVersion(ctxT(t), client.ServerVersionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var routes int
	for _, rt := range allRoutes() {
		if rt.Fallback {
			continue
		}
		routes++
		p := pathVar.ReplaceAllString(rt.Path, "api-walk-missing")
		q := url.Values{}
		switch {
		case strings.HasSuffix(p, "/prune"):
			q.Set("filters", `{"label":["api-walk-matches-nothing"]}`)
		case p == "/events":
			q.Set("since", "1")
			q.Set("until", "2")
		}
		if len(q) > 0 {
			p += "?" + q.Encode()
		}
		for _, ver := range []string{"", "1.24", "1.38", "1.41", v.APIVersion} {
			st, b := e.call(t, rt.Method, ver, p, "")
			if st == 404 && message(b) == "page not found" {
				t.Errorf("%s /v%s%s: 404 page not found", rt.Method, ver, p)
			}
		}
	}
	if routes < 50 {
		t.Errorf("only %d routes walked", routes)
	}
}

// allRoutes lists the routes of the routers daemon.New registers.
func allRoutes() []router.Route {
	var out []router.Route
	for _, r := range []router.Router{
		systemrouter.NewRouter(nil),
		containerrouter.NewRouter(nil),
		networkrouter.NewRouter(nil),
		buildrouter.NewRouter(nil),
		imagerouter.NewRouter(nil, nil),
		volumerouter.NewRouter(nil),
	} {
		out = append(out, r.Routes()...)
	}
	return out
}

// TestVersionBounds: a version above the maximum or below the minimum is a
// 400 with dockerd's wording (20.10.24: "client version 1.99 is too new.
// Maximum supported API version is 1.41"; "client version 1.11 is too old.
// Minimum supported API version is 1.12, please upgrade your client to a
// newer version"), on any route.
func TestVersionBounds(t *testing.T) {
	each(t, func(t *testing.T, e engine) {
		v, err := e.client(t).ServerVersion(ctxT(t), client.ServerVersionOptions{})
		if err != nil {
			t.Fatal(err)
		}
		minor := func(s string) int { n, _ := strconv.Atoi(strings.TrimPrefix(s, "1.")); return n }
		tooNew := fmt.Sprintf("1.%d", minor(v.APIVersion)+1)
		tooOld := fmt.Sprintf("1.%d", minor(v.MinAPIVersion)-1)
		for _, p := range []string{"/version", "/containers/json", "/_ping"} {
			st, b := e.call(t, "GET", tooNew, p, "")
			if want := "client version " + tooNew + " is too new. Maximum supported API version is " + v.APIVersion; st != 400 || message(b) != want {
				t.Errorf("%s at %s: %d %s, want 400 %q", p, tooNew, st, b, want)
			}
			st, b = e.call(t, "GET", tooOld, p, "")
			// Docker 20.10 sends this one as text/plain; current moby and
			// berth as the usual JSON error.
			got := message(b)
			if got == "" {
				got = strings.TrimSpace(string(b))
			}
			if want := "client version " + tooOld + " is too old. Minimum supported API version is " + v.MinAPIVersion + ", please upgrade your client to a newer version"; st != 400 || got != want {
				t.Errorf("%s at %s: %d %s, want 400 %q", p, tooOld, st, b, want)
			}
		}
	})
}

// TestLegacyNetworkSettings: before API 1.52 inspect keeps the top-level
// NetworkSettings fields deprecated since 1.21, filled from the default
// bridge endpoint and empty for other networks (Docker 20.10.24 at 1.41:
// IPAddress "10.x.y.2", Gateway, MacAddress, IPPrefixLen 24, EndpointID
// set on the bridge; all "" / 0 on a user network; Bridge ""). From 1.52
// they are gone.
func TestLegacyNetworkSettings(t *testing.T) {
	each(t, func(t *testing.T, e engine) {
		c := e.client(t)
		id := run(t, c, client.ContainerCreateOptions{})
		net := uniq(t, "net")
		if _, err := c.NetworkCreate(ctxT(t), net, client.NetworkCreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _, _ = c.NetworkRemove(ctxT(t), net, client.NetworkRemoveOptions{}) })
		uid := run(t, c, client.ContainerCreateOptions{HostConfig: &container.HostConfig{NetworkMode: container.NetworkMode(net)}})

		type settings map[string]any
		inspect := func(ver, id string) settings {
			st, b := e.call(t, "GET", ver, "/containers/"+id+"/json", "")
			if st != 200 {
				t.Fatalf("inspect at %s: %d %s", ver, st, b)
			}
			var body struct{ NetworkSettings settings }
			if err := json.Unmarshal(b, &body); err != nil {
				t.Fatal(err)
			}
			return body.NetworkSettings
		}
		for _, ver := range []string{"1.24", "1.41", "1.51"} {
			if !versionAtLeast(e.maxAPI, ver) {
				continue
			}
			ns := inspect(ver, id)
			br, _ := ns["Networks"].(map[string]any)["bridge"].(map[string]any)
			if br == nil || br["IPAddress"] == "" {
				t.Fatalf("%s: no bridge endpoint: %v", ver, ns)
			}
			for _, k := range []string{"IPAddress", "Gateway", "MacAddress", "IPPrefixLen", "EndpointID"} {
				if ns[k] != br[k] {
					t.Errorf("%s: NetworkSettings.%s = %v, bridge endpoint has %v", ver, k, ns[k], br[k])
				}
			}
			if ns["Bridge"] != "" || ns["SandboxID"] == "" {
				t.Errorf("%s: Bridge %v SandboxID %v", ver, ns["Bridge"], ns["SandboxID"])
			}
			uns := inspect(ver, uid)
			for _, k := range []string{"IPAddress", "Gateway", "MacAddress", "EndpointID"} {
				if v, ok := uns[k]; !ok || v != "" {
					t.Errorf("%s: user-network container's NetworkSettings.%s = %v (present %v), want \"\"", ver, k, v, ok)
				}
			}
		}
		if versionAtLeast(e.maxAPI, "1.52") {
			ns := inspect(e.maxAPI, id)
			for _, k := range []string{"IPAddress", "Gateway", "MacAddress", "Bridge", "EndpointID"} {
				if _, ok := ns[k]; ok {
					t.Errorf("%s: NetworkSettings.%s still present", e.maxAPI, k)
				}
			}
		}
	})
}

// TestLegacyEventFields: before API 1.52 container events carry status,
// id and from (what `docker events --format '{{.Status}}'` prints with
// CLI 28); Docker 20.10.24 at 1.41: {"status":"create","id":"<id>",
// "from":"busybox","Type":"container",...}. From 1.52 they are gone.
func TestLegacyEventFields(t *testing.T) {
	each(t, func(t *testing.T, e engine) {
		c := e.client(t)
		since := time.Now().Add(-time.Second).Unix()
		id := create(t, c, client.ContainerCreateOptions{})
		until := time.Now().Add(time.Second).Unix()
		events := func(ver string) []map[string]any {
			q := url.Values{"since": {strconv.FormatInt(since, 10)}, "until": {strconv.FormatInt(until, 10)},
				"filters": {`{"container":["` + id + `"]}`}}
			st, b := e.call(t, "GET", ver, "/events?"+q.Encode(), "")
			if st != 200 {
				t.Fatalf("events at %s: %d %s", ver, st, b)
			}
			var out []map[string]any
			dec := json.NewDecoder(strings.NewReader(string(b)))
			for dec.More() {
				var m map[string]any
				if err := dec.Decode(&m); err != nil {
					t.Fatal(err)
				}
				out = append(out, m)
			}
			if len(out) == 0 {
				t.Fatalf("no events at %s", ver)
			}
			return out
		}
		time.Sleep(time.Until(time.Unix(until, 0)))
		for _, ver := range []string{"1.24", "1.41", "1.51"} {
			if !versionAtLeast(e.maxAPI, ver) {
				continue
			}
			m := events(ver)[0]
			if m["status"] != "create" || m["id"] != id || m["from"] != "busybox" || m["Action"] != "create" {
				t.Errorf("%s: first event %v, want status create, id and from busybox", ver, m)
			}
		}
		if versionAtLeast(e.maxAPI, "1.52") {
			for _, k := range []string{"status", "id", "from"} {
				if _, ok := events(e.maxAPI)[0][k]; ok {
					t.Errorf("%s: event still has %q", e.maxAPI, k)
				}
			}
		}
	})
}

// TestDiskUsageByVersion: /system/df has docker-py's legacy body before
// 1.52 (LayersSize, Images, Containers, Volumes, BuildCache, never absent;
// BuilderSize up to 1.41 — Docker 20.10.24 at 1.41: "Volumes":[],
// "BuildCache":null,"BuilderSize":0), both bodies at 1.52 and only the
// per-kind usage from 1.53.
func TestDiskUsageByVersion(t *testing.T) {
	each(t, func(t *testing.T, e engine) {
		keys := func(ver string) map[string]json.RawMessage {
			st, b := e.call(t, "GET", ver, "/system/df", "")
			if st != 200 {
				t.Fatalf("df at %s: %d %s", ver, st, b)
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			return m
		}
		legacy := []string{"LayersSize", "Images", "Containers", "Volumes", "BuildCache"}
		for _, ver := range []string{"1.24", "1.38", "1.41", "1.51"} {
			if !versionAtLeast(e.maxAPI, ver) {
				continue
			}
			m := keys(ver)
			for _, k := range legacy {
				if _, ok := m[k]; !ok {
					t.Errorf("%s: no %s in %v", ver, k, m)
				}
			}
			if string(m["Images"]) == "null" || string(m["Volumes"]) == "null" {
				t.Errorf("%s: Images %s Volumes %s, want lists", ver, m["Images"], m["Volumes"])
			}
			if _, ok := m["BuilderSize"]; ok != !versionAtLeast(ver, "1.42") {
				t.Errorf("%s: BuilderSize present %v", ver, ok)
			}
		}
		if versionAtLeast(e.maxAPI, "1.52") {
			m := keys("1.52")
			if m["ImageUsage"] == nil || m["LayersSize"] == nil {
				t.Errorf("1.52: want both bodies, got %v", m)
			}
		}
		if versionAtLeast(e.maxAPI, "1.53") {
			m := keys(e.maxAPI)
			if m["ImageUsage"] == nil || m["LayersSize"] != nil || m["Images"] != nil {
				t.Errorf("%s: want the per-kind usage only, got %v", e.maxAPI, m)
			}
		}
	})
}

// TestNewestAPIFeatures checks what the versions after Docker 29's 1.52
// added, on engines that advertise them: the SDK's event stream (it asks
// for application/json-seq since 1.52), the annotation filter of
// GET /containers/json and HostConfig.Umask (1.56), and
// GET /images/{name}/attestations (1.55).
func TestNewestAPIFeatures(t *testing.T) {
	each(t, func(t *testing.T, e engine) {
		c := e.client(t)
		since := time.Now().Add(-time.Second)
		id := create(t, c, client.ContainerCreateOptions{HostConfig: &container.HostConfig{Annotations: map[string]string{"it.api": "yes"}}})
		other := create(t, c, client.ContainerCreateOptions{})
		ctx := ctxT(t)
		res := c.Events(ctx, client.EventsListOptions{Since: strconv.FormatInt(since.Unix(), 10), Until: strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10),
			Filters: make(client.Filters).Add("container", id)})
		var got []string
	read:
		for {
			select {
			case m := <-res.Messages:
				got = append(got, string(m.Action))
			case err := <-res.Err:
				if err != nil && !errors.Is(err, io.EOF) {
					t.Fatalf("events: %v", err)
				}
				break read
			}
		}
		if len(got) == 0 || got[0] != "create" {
			t.Errorf("SDK events %q, want create first", got)
		}
		if versionAtLeast(e.maxAPI, "1.56") {
			for filter, want := range map[string][]string{"it.api": {id}, "it.api=yes": {id}, "it.api=no": nil} {
				l, err := c.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("annotation", filter)})
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, s := range l.Items {
					if s.ID == id || s.ID == other {
						ids = append(ids, s.ID)
					}
				}
				if strings.Join(ids, ",") != strings.Join(want, ",") {
					t.Errorf("annotation=%s: %q, want %q", filter, ids, want)
				}
			}
		}
		if versionAtLeast(e.maxAPI, "1.56") {
			mask := uint32(0o077)
			uid := run(t, c, client.ContainerCreateOptions{Config: &container.Config{Image: "busybox", Cmd: []string{"sh", "-c", "umask"}},
				HostConfig: &container.HostConfig{Umask: &mask}})
			wait := c.ContainerWait(ctx, uid, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
			select {
			case <-wait.Result:
			case err := <-wait.Error:
				t.Fatal(err)
			}
			logs, err := c.ContainerLogs(ctx, uid, client.ContainerLogsOptions{ShowStdout: true})
			if err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			_, _ = stdcopy.StdCopy(&out, io.Discard, logs)
			logs.Close()
			if out.String() != "0077\n" {
				t.Errorf("HostConfig.Umask 0077: the command saw umask %q", out.String())
			}
		}
		if versionAtLeast(e.maxAPI, "1.55") {
			if st, b := e.call(t, "GET", "1.55", "/images/busybox/attestations", ""); st != 200 || strings.TrimSpace(string(b)) != "[]" {
				t.Errorf("attestations of busybox: %d %s, want 200 []", st, b)
			}
			if st, b := e.call(t, "GET", "1.55", "/images/"+uniq(t, "nosuch")+"/attestations", ""); st != 404 {
				t.Errorf("attestations of a missing image: %d %s, want 404", st, b)
			}
		}
	})
}
