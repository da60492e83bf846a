package swarm

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/swarm"
)

// seed puts a few objects in f: service "web" (svc-web, version 5) with
// task t1, a TTY service "term" with task t2, secret sec-a, config cfg-a.
func seed(f *fakeCluster) {
	f.services["svc-web"] = &swarm.Service{ID: "svc-web", Meta: swarm.Meta{Version: swarm.Version{Index: 5}},
		Spec: swarm.ServiceSpec{Annotations: swarm.Annotations{Name: "web"}, TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{Image: "nginx"}}}}
	f.services["svc-term"] = &swarm.Service{ID: "svc-term", Meta: swarm.Meta{Version: swarm.Version{Index: 2}},
		Spec: swarm.ServiceSpec{Annotations: swarm.Annotations{Name: "term"}, TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{Image: "busybox", TTY: true}}}}
	f.tasks["t1"] = swarm.Task{ID: "t1", ServiceID: "svc-web", Spec: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{Image: "nginx"}}}
	f.tasks["t2"] = swarm.Task{ID: "t2", ServiceID: "svc-term", Spec: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{TTY: true}}}
	f.secrets["sec-a"] = &swarm.Secret{ID: "sec-a", Spec: swarm.SecretSpec{Annotations: swarm.Annotations{Name: "a"}}}
	f.configs["cfg-a"] = &swarm.Config{ID: "cfg-a", Spec: swarm.ConfigSpec{Annotations: swarm.Annotations{Name: "a"}}}
}

type reply struct {
	code  int
	ctype string
	body  string // trimmed
	raw   string // as sent
}

func send(t *testing.T, ts *httptest.Server, method, path string, hdr map[string]string, body string) reply {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header.Get("Content-Type"), strings.TrimSpace(string(b)), string(b)}
}

// message is the "message" of an error body.
func message(t *testing.T, body string) string {
	t.Helper()
	var e struct{ Message string }
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	return e.Message
}

func TestRoutes(t *testing.T) {
	const notManager = "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again."
	const alreadyInSwarm = "This node is already part of a swarm. Use \"docker swarm leave\" to leave this swarm and join another one."
	auth := map[string]string{"X-Registry-Auth": "e30="}
	tests := []struct {
		name, method, path string
		hdr                map[string]string
		body               string
		down               bool // the backend answers "not a manager" (or "already part of a swarm" to init)
		code               int
		want               string   // exact body on success, the message of an error
		calls              []string // the backend's journal; nil: no call at all
	}{
		// /swarm
		{"init", "POST", "/v1.56/swarm/init", nil, `{"ListenAddr":"0.0.0.0:2377","AdvertiseAddr":"10.0.0.1","DefaultAddrPool":["10.20.0.0/16"],"SubnetSize":24,"DataPathPort":4789,"Unknown":1}`, false, 200, `"node1"`,
			[]string{"Init listen=0.0.0.0:2377 advertise=10.0.0.1 pool=[10.20.0.0/16] subnet=24 port=4789"}},
		{"init 1.39 drops DataPathPort", "POST", "/v1.39/swarm/init", nil, `{"ListenAddr":"0.0.0.0:2377","DefaultAddrPool":["10.20.0.0/16"],"SubnetSize":24,"DataPathPort":4789}`, false, 200, `"node1"`,
			[]string{"Init listen=0.0.0.0:2377 advertise= pool=[10.20.0.0/16] subnet=24 port=0"}},
		{"init 1.38 drops pools", "POST", "/v1.38/swarm/init", nil, `{"ListenAddr":"0.0.0.0:2377","DefaultAddrPool":["10.20.0.0/16"],"SubnetSize":24,"DataPathPort":4789}`, false, 200, `"node1"`,
			[]string{"Init listen=0.0.0.0:2377 advertise= pool=[] subnet=0 port=0"}},
		{"init empty body", "POST", "/swarm/init", nil, "", false, 400, `invalid ListenAddr "": invalid empty address`, nil},
		{"init empty body in a swarm", "POST", "/swarm/init", nil, "", true, 503, alreadyInSwarm,
			[]string{"Init listen= advertise= pool=[] subnet=0 port=0"}},
		{"init force empty body in a swarm", "POST", "/swarm/init", nil, `{"ForceNewCluster":true}`, true, 400, `invalid ListenAddr "": invalid empty address`, nil},
		{"init spec name", "POST", "/swarm/init", nil, `{"ListenAddr":"0.0.0.0:2377","Spec":{"Name":"prod"}}`, false, 400, `swarm spec must be named "default"`, nil},
		{"init in a swarm", "POST", "/swarm/init", nil, `{"ListenAddr":"0.0.0.0:2377"}`, true, 503, alreadyInSwarm,
			[]string{"Init listen=0.0.0.0:2377 advertise= pool=[] subnet=0 port=0"}},
		{"init bad json", "POST", "/swarm/init", nil, `{"ListenAddr":`, false, 400, "invalid JSON: unexpected EOF", nil},
		{"init wrong type", "POST", "/swarm/init", nil, `{"ListenAddr":5}`, false, 400, "invalid JSON: json: cannot unmarshal number into Go struct field InitRequest.ListenAddr of type string", nil},
		{"init text body", "POST", "/swarm/init", map[string]string{"Content-Type": "text/plain"}, `{}`, false, 400, "unsupported Content-Type header (text/plain): must be 'application/json'", nil},
		{"join", "POST", "/swarm/join", nil, `{"RemoteAddrs":["10.0.0.1:2377"],"JoinToken":"SWMTKN-1-x"}`, false, 200, "",
			[]string{"Join remotes=[10.0.0.1:2377] token=SWMTKN-1-x"}},
		{"leave", "POST", "/swarm/leave", nil, "", false, 200, "", []string{"Leave force=false"}},
		{"leave force", "POST", "/swarm/leave?force=1", nil, "", false, 200, "", []string{"Leave force=true"}},
		{"leave not in swarm", "POST", "/swarm/leave", nil, "", true, 503, notManager, []string{"Leave force=false"}},
		{"inspect not manager", "GET", "/swarm", nil, "", true, 503, notManager, []string{"Inspect"}},
		{"update", "POST", "/swarm/update?version=10&rotateWorkerToken=true&rotateManagerToken=0&rotateManagerUnlockKey=T", nil, `{"Name":"default"}`, false, 200, "",
			[]string{"Update version=10 name=default rotate=true,false,true"}},
		{"update stale", "POST", "/swarm/update?version=9", nil, `{}`, false, 400, "rpc error: code = Unknown desc = update out of sequence",
			[]string{"Update version=9 name= rotate=false,false,false"}},
		{"update no version", "POST", "/swarm/update", nil, `{}`, false, 400, `invalid swarm version '': strconv.ParseUint: parsing "": invalid syntax`, nil},
		{"update bad version", "POST", "/swarm/update?version=x", nil, `{}`, false, 400, `invalid swarm version 'x': strconv.ParseUint: parsing "x": invalid syntax`, nil},
		{"update negative version", "POST", "/swarm/update?version=-1", nil, `{}`, false, 400, `invalid swarm version '-1': strconv.ParseUint: parsing "-1": invalid syntax`, nil},
		{"update bad rotate", "POST", "/swarm/update?version=10&rotateWorkerToken=yes", nil, `{}`, false, 400, "invalid value for rotateWorkerToken: yes", nil},
		{"update bad unlock rotate", "POST", "/swarm/update?version=10&rotateManagerUnlockKey=2", nil, `{}`, false, 400, "invalid value for rotateManagerUnlockKey: 2", nil},
		{"update body first", "POST", "/swarm/update?version=x", nil, `[]`, false, 400, "invalid JSON: json: cannot unmarshal array into Go value of type swarm.Spec", nil},
		{"unlockkey", "GET", "/swarm/unlockkey", nil, "", false, 200, `{"UnlockKey":"SWMKEY-1-secret"}`, []string{"GetUnlockKey"}},
		{"unlock", "POST", "/swarm/unlock", nil, `{"UnlockKey":"SWMKEY-1-k"}`, false, 200, "", []string{"Unlock key=SWMKEY-1-k"}},

		// /nodes
		{"nodes", "GET", `/nodes?filters={"role":["manager"]}`, nil, "", false, 200, "", []string{"GetNodes role=manager"}},
		{"nodes none", "GET", `/nodes?filters={"id":["nope"]}`, nil, "", false, 200, "[]", []string{"GetNodes id=nope"}},
		{"nodes bad filters", "GET", `/nodes?filters={"role":`, nil, "", false, 400, "invalid filter: unexpected end of JSON input", nil},
		{"nodes unknown filter", "GET", `/nodes?filters={"color":["red"]}`, nil, "", false, 400, "invalid filter 'color'", []string{"GetNodes "}},
		{"nodes bad query", "GET", `/nodes?filters=%zz`, nil, "", false, 400, `invalid query: invalid URL escape "%zz"`, nil},
		{"node", "GET", "/nodes/node1", nil, "", false, 200, "", []string{"GetNode node1"}},
		{"node missing", "GET", "/nodes/nope", nil, "", false, 404, "node nope not found", []string{"GetNode nope"}},
		{"node update", "POST", "/nodes/node1/update?version=3", nil, `{"Role":"manager","Availability":"drain"}`, false, 200, "",
			[]string{"UpdateNode node1 version=3 availability=drain"}},
		{"node update bad version", "POST", "/nodes/node1/update?version=v3", nil, `{}`, false, 400, `invalid node version 'v3': strconv.ParseUint: parsing "v3": invalid syntax`, nil},
		{"node rm", "DELETE", "/nodes/node2?force=true", nil, "", false, 200, "", []string{"RemoveNode node2 force=true"}},

		// /services
		{"services", "GET", `/services?filters={"name":{"web":true}}`, nil, "", false, 200, "", []string{"GetServices name=web status=false"}},
		{"services status", "GET", "/services?status=true", nil, "", false, 200, "", []string{"GetServices  status=true"}},
		{"services status 1.40 ignored", "GET", "/v1.40/services?status=banana", nil, "", false, 200, "", []string{"GetServices  status=false"}},
		{"services bad status", "GET", "/v1.41/services?status=banana", nil, "", false, 400, `invalid value for status: banana: strconv.ParseBool: parsing "banana": invalid syntax`, nil},
		{"services empty", "GET", `/services?filters={"name":["none"]}`, nil, "", false, 200, "[]", []string{"GetServices name=none status=false"}},
		{"services not manager", "GET", "/services", nil, "", true, 503, notManager, []string{"GetServices  status=false"}},
		{"service", "GET", "/services/web?insertDefaults=1", nil, "", false, 200, "", []string{"GetService web defaults=true"}},
		{"service bad defaults", "GET", "/services/web?insertDefaults=maybe", nil, "", false, 400, `invalid value for insertDefaults: maybe: strconv.ParseBool: parsing "maybe": invalid syntax`, nil},
		{"service missing", "GET", "/services/nope", nil, "", false, 404, "service nope not found", []string{"GetService nope defaults=false"}},
		{"create", "POST", "/services/create", auth, `{"Name":"api","TaskTemplate":{"ContainerSpec":{"Image":"busybox"}},"Extra":true}`, false, 201, `{"ID":"svc1","Warnings":null}`,
			[]string{"CreateService name=api image=busybox auth=e30="}},
		{"create warnings", "POST", "/services/create", nil, `{"Name":"api2"}`, false, 201, `{"ID":"svc1","Warnings":["no auth"]}`,
			[]string{"CreateService name=api2 image= auth="}},
		{"create exists", "POST", "/services/create", nil, `{"Name":"web"}`, false, 409, "rpc error: code = AlreadyExists desc = name conflicts with an existing object: service web already exists",
			[]string{"CreateService name=web image= auth="}},
		{"create bad json", "POST", "/services/create", nil, `{"Name":["x"]}`, false, 400, "invalid JSON: json: cannot unmarshal array into Go struct field serviceWithLegacy.ServiceSpec.Annotations.Name of type string", nil},
		{"update service", "POST", "/services/web/update?version=5&registryAuthFrom=previous-spec&rollback=previous", auth, `{"Name":"web","TaskTemplate":{"ContainerSpec":{"Image":"nginx:2"}}}`, false, 200, `{"Warnings":null}`,
			[]string{"UpdateService web version=5 image=nginx:2 auth=e30= from=previous-spec rollback=previous"}},
		{"update service stale", "POST", "/services/web/update?version=4", nil, `{"Name":"web"}`, false, 400, "rpc error: code = Unknown desc = update out of sequence",
			[]string{"UpdateService web version=4 image= auth= from= rollback="}},
		{"update service no version", "POST", "/services/web/update", nil, `{}`, false, 400, `invalid service version '': strconv.ParseUint: parsing "": invalid syntax`, nil},
		{"update service bad auth source", "POST", "/services/web/update?version=5&registryAuthFrom=elsewhere", nil, `{}`, false, 400, "invalid registryAuthFrom 'elsewhere'", nil},
		{"update service missing", "POST", "/services/nope/update?version=1", nil, `{}`, false, 404, "service nope not found",
			[]string{"UpdateService nope version=1 image= auth= from= rollback="}},
		{"rm service", "DELETE", "/services/web", nil, "", false, 200, "", []string{"RemoveService web"}},
		{"rm service missing", "DELETE", "/services/nope", nil, "", false, 404, "service nope not found", []string{"RemoveService nope"}},

		// /tasks
		{"tasks", "GET", `/tasks?filters={"service":["svc-web"],"desired-state":["running"]}`, nil, "", false, 200, "", []string{"GetTasks desired-state=running,service=svc-web"}},
		{"tasks none", "GET", `/tasks?filters={"service":["x"]}`, nil, "", false, 200, "[]", []string{"GetTasks service=x"}},
		{"task", "GET", "/tasks/t1", nil, "", false, 200, "", []string{"GetTask t1"}},
		{"task missing", "GET", "/tasks/nope", nil, "", false, 404, "task nope not found", []string{"GetTask nope"}},

		// /secrets
		{"secrets", "GET", `/secrets?filters={"name":["a"]}`, nil, "", false, 200, "", []string{"GetSecrets name=a"}},
		{"secrets 1.24", "GET", "/v1.24/secrets", nil, "", false, 400, "GET /secrets requires minimum API version 1.25", nil},
		{"secret 1.24", "GET", "/v1.24/secrets/sec-a", nil, "", false, 400, "GET /secrets/{id} requires minimum API version 1.25", nil},
		{"secret create", "POST", "/secrets/create", nil, `{"Name":"pw","Data":"aHVudGVyMg=="}`, false, 201, `{"ID":"sec1"}`, []string{"CreateSecret name=pw data=hunter2"}},
		{"secret create templating 1.36", "POST", "/v1.36/secrets/create", nil, `{"Name":"pw","Templating":{"Name":"golang"}}`, false, 400, "secret templating is not supported on the specified API version: 1.36", nil},
		{"secret create templating 1.37", "POST", "/v1.37/secrets/create", nil, `{"Name":"pw","Templating":{"Name":"golang"}}`, false, 201, `{"ID":"sec1"}`, []string{"CreateSecret name=pw data="}},
		{"secret create bad data", "POST", "/secrets/create", nil, `{"Name":"pw","Data":"!!"}`, false, 400, "invalid JSON: illegal base64 data at input byte 0", nil},
		{"secret", "GET", "/secrets/a", nil, "", false, 200, "", []string{"GetSecret a"}},
		{"secret missing", "GET", "/secrets/nope", nil, "", false, 404, "secret nope not found", []string{"GetSecret nope"}},
		{"secret update", "POST", "/secrets/sec-a/update?version=1", nil, `{"Name":"a","Labels":{"k":"v"}}`, false, 200, "", []string{"UpdateSecret sec-a version=1 labels=map[k:v]"}},
		{"secret update bad version", "POST", "/secrets/sec-a/update?version=one", nil, `{}`, false, 400, "invalid secret version", nil},
		{"secret rm", "DELETE", "/secrets/sec-a", nil, "", false, 204, "", []string{"RemoveSecret sec-a"}},
		{"secret rm missing", "DELETE", "/secrets/nope", nil, "", false, 404, "secret nope not found", []string{"RemoveSecret nope"}},

		// /configs
		{"configs", "GET", "/configs", nil, "", false, 200, "", []string{"GetConfigs "}},
		{"configs 1.29", "GET", "/v1.29/configs", nil, "", false, 400, "GET /configs requires minimum API version 1.30", nil},
		{"config create 1.29", "POST", "/v1.29/configs/create", nil, `{}`, false, 400, "POST /configs/create requires minimum API version 1.30", nil},
		{"config create", "POST", "/v1.30/configs/create", nil, `{"Name":"conf","Data":"eA=="}`, false, 201, `{"ID":"cfg1"}`, []string{"CreateConfig name=conf data=x"}},
		{"config create templating 1.36", "POST", "/v1.36/configs/create", nil, `{"Name":"c","Templating":{"Name":"golang"}}`, false, 400, "config templating is not supported on the specified API version: 1.36", nil},
		{"config", "GET", "/configs/cfg-a", nil, "", false, 200, "", []string{"GetConfig cfg-a"}},
		{"config update", "POST", "/configs/cfg-a/update?version=2", nil, `{"Labels":{}}`, false, 200, "", []string{"UpdateConfig cfg-a version=2 labels=map[]"}},
		{"config update bad version", "POST", "/configs/cfg-a/update", nil, `{}`, false, 400, "invalid config version", nil},
		{"config rm", "DELETE", "/configs/cfg-a", nil, "", false, 204, "", []string{"RemoveConfig cfg-a"}},
		{"config rm not manager", "DELETE", "/configs/cfg-a", nil, "", true, 503, notManager, []string{"RemoveConfig cfg-a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			seed(f)
			if tt.down {
				if strings.Contains(tt.path, "/swarm/init") {
					f.state = swarm.LocalNodeStateActive
				} else {
					f.down = errdefs.Unavailable("%s", notManager)
				}
			}
			ts := newTestServer(t, f)
			r := send(t, ts, tt.method, tt.path, tt.hdr, tt.body)
			if r.code != tt.code {
				t.Fatalf("status %d, want %d: %s", r.code, tt.code, r.body)
			}
			switch {
			case tt.code >= 400:
				if got := message(t, r.body); got != tt.want {
					t.Errorf("message %q\nwant    %q", got, tt.want)
				}
			case tt.want != "" || r.code == 204 || tt.method != "GET":
				if r.body != tt.want {
					t.Errorf("body %s, want %s", r.body, tt.want)
				}
			}
			if got := f.journal(); !reflect.DeepEqual(got, tt.calls) {
				t.Errorf("backend calls %q\nwant          %q", got, tt.calls)
			}
		})
	}
}

// TestNotImplFallback checks that the real routes win over the notimpl
// fallbacks mounted alongside, versioned or not, while other areas still
// answer 501.
func TestNotImplFallback(t *testing.T) {
	f := newFake()
	seed(f)
	ts := newTestServer(t, f)
	for _, p := range []string{"/v1.41/services", "/services", "/v1.41/nodes", "/v1.41/tasks", "/v1.41/secrets", "/v1.41/configs", "/v1.41/swarm", "/v1.41/services/web/logs?stdout=1"} {
		if r := send(t, ts, "GET", p, nil, ""); r.code != 200 {
			t.Errorf("GET %s: %d %s", p, r.code, r.body)
		}
	}
	if r := send(t, ts, "GET", "/v1.41/plugins", nil, ""); r.code != 501 {
		t.Errorf("GET /plugins: %d %s, want the notimpl fallback", r.code, r.body)
	}
}

// TestResponseBodies checks the shapes clients decode.
func TestResponseBodies(t *testing.T) {
	f := newFake()
	seed(f)
	ts := newTestServer(t, f)
	r := send(t, ts, "GET", "/services?status=1", nil, "")
	var svcs []swarm.Service
	if err := json.Unmarshal([]byte(r.body), &svcs); err != nil {
		t.Fatal(err)
	}
	if len(svcs) != 2 || svcs[0].ID != "svc-term" || svcs[1].Spec.Name != "web" || svcs[1].ServiceStatus == nil || svcs[1].ServiceStatus.DesiredTasks != 2 {
		t.Errorf("services: %s", r.body)
	}
	if r.ctype != "application/json" {
		t.Errorf("content type %q", r.ctype)
	}
	r = send(t, ts, "GET", "/swarm", nil, "")
	var sw swarm.Swarm
	if err := json.Unmarshal([]byte(r.body), &sw); err != nil || sw.ID != "cluster1" || sw.Version.Index != 10 {
		t.Errorf("swarm %s: %v", r.body, err)
	}
	r = send(t, ts, "GET", "/tasks/t1", nil, "")
	var task swarm.Task
	if err := json.Unmarshal([]byte(r.body), &task); err != nil || task.ServiceID != "svc-web" {
		t.Errorf("task %s: %v", r.body, err)
	}
}
