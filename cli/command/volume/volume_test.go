package volume

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/berth-project/berth/cli/internal/fakeapi"
	"github.com/moby/moby/api/types/volume"
)

func run(t *testing.T, routes map[string]http.HandlerFunc, stdin string, args ...string) (string, string, error, *fakeapi.API) {
	t.Helper()
	return fakeapi.Run(t, AddCommands, routes, stdin, args...)
}

func vol(name string, labels map[string]string) volume.Volume {
	return volume.Volume{Name: name, Driver: "local", Scope: "local", Mountpoint: "/var/lib/berth/volumes/" + name + "/_data", Labels: labels, CreatedAt: "2026-11-24T01:02:03Z"}
}

// lastReq returns the last request to path (without version prefix).
func lastReq(t *testing.T, api *fakeapi.API, suffix string) *http.Request {
	t.Helper()
	for i := len(api.Reqs) - 1; i >= 0; i-- {
		if strings.HasSuffix(api.Reqs[i].URL.Path, suffix) {
			return api.Reqs[i]
		}
	}
	t.Fatalf("no request to %s", suffix)
	return nil
}

func TestCreate(t *testing.T) {
	var got volume.CreateRequest
	routes := map[string]http.HandlerFunc{
		"POST /volumes/create": func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			_ = json.Unmarshal(b, &got)
			fakeapi.JSON(vol(map[bool]string{true: got.Name, false: strings.Repeat("a", 64)}[got.Name != ""], nil))(w, r)
		},
	}
	tests := []struct {
		args    []string
		want    volume.CreateRequest
		out     string
		wantErr string
	}{
		{[]string{"volume", "create", "data"}, volume.CreateRequest{Name: "data", Driver: "local"}, "data\n", ""},
		{[]string{"volume", "create", "--name", "data2", "-d", "local", "--label", "a=b", "--label", "c", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=64m"},
			volume.CreateRequest{Name: "data2", Driver: "local", Labels: map[string]string{"a": "b", "c": ""}, DriverOpts: map[string]string{"type": "tmpfs", "device": "tmpfs", "o": "size=64m"}}, "data2\n", ""},
		{[]string{"volume", "create"}, volume.CreateRequest{Driver: "local"}, strings.Repeat("a", 64) + "\n", ""},
		{[]string{"volume", "create", "--name", "x1", "x2"}, volume.CreateRequest{}, "", "conflicting options: cannot specify a volume-name through both --name and as a positional arg"},
		{[]string{"volume", "create", "a", "b"}, volume.CreateRequest{}, "", "'docker volume create' requires at most 1 argument"},
		{[]string{"volume", "create", "--label", "=x", "v"}, volume.CreateRequest{}, "", "invalid label '=x': empty name"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			got = volume.CreateRequest{}
			out, _, err, _ := run(t, routes, "", tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out != tt.out || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("out %q request %+v; want %q %+v", out, got, tt.out, tt.want)
			}
		})
	}
}

func TestList(t *testing.T) {
	list := volume.ListResponse{Volumes: []volume.Volume{
		vol("vol10", nil), vol("vol2", map[string]string{"app": "web"}), vol("a-b", nil), vol("a1", nil),
	}}
	routes := map[string]http.HandlerFunc{"GET /volumes": fakeapi.JSON(list)}
	tests := []struct {
		args []string
		out  string
	}{
		{[]string{"volume", "ls"}, "DRIVER    VOLUME NAME\nlocal     a1\nlocal     a-b\nlocal     vol2\nlocal     vol10\n"},
		{[]string{"volume", "list", "-q"}, "a1\na-b\nvol2\nvol10\n"},
		{[]string{"volume", "ls", "--format", "{{.Name}} {{.Label \"app\"}}|{{.Links}}|{{.Size}}|{{.Scope}}"}, "a1 |N/A|N/A|local\na-b |N/A|N/A|local\nvol2 web|N/A|N/A|local\nvol10 |N/A|N/A|local\n"},
		// A user format wins over -q, as in docker.
		{[]string{"volume", "ls", "-q", "--format", "{{.Mountpoint}}"}, "/var/lib/berth/volumes/a1/_data\n/var/lib/berth/volumes/a-b/_data\n/var/lib/berth/volumes/vol2/_data\n/var/lib/berth/volumes/vol10/_data\n"},
		{[]string{"volume", "ls", "--format", "table {{.Name}}\t{{.Labels}}"}, "VOLUME NAME   LABELS\na1            \na-b           \nvol2          app=web\nvol10         \n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, _, err, _ := run(t, routes, "", tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			if out != tt.out {
				t.Fatalf("got\n%q\nwant\n%q", out, tt.out)
			}
		})
	}
	out, _, err, _ := run(t, routes, "", "volume", "ls", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	first := strings.SplitN(out, "\n", 2)[0]
	want := `{"Availability":"N/A","Driver":"local","Group":"N/A","Labels":"","Links":"N/A","Mountpoint":"/var/lib/berth/volumes/a1/_data","Name":"a1","Scope":"local","Size":"N/A","Status":"N/A"}`
	if first != want {
		t.Fatalf("json row %s\nwant %s", first, want)
	}
	_, _, _, api := run(t, routes, "", "volume", "ls", "--filter", "dangling=true", "-f", "label=app=web")
	var f map[string]map[string]bool
	if err := json.Unmarshal([]byte(lastReq(t, api, "/volumes").URL.Query().Get("filters")), &f); err != nil {
		t.Fatal(err)
	}
	if !f["dangling"]["true"] || !f["label"]["app=web"] {
		t.Fatalf("filters sent %v", f)
	}
}

func TestInspect(t *testing.T) {
	routes := map[string]http.HandlerFunc{
		"GET /volumes/data": fakeapi.JSON(vol("data", map[string]string{"k": "v"})),
		"GET /volumes/nope": fakeapi.Err(404, "get nope: no such volume"),
	}
	out, _, err, _ := run(t, routes, "", "volume", "inspect", "data")
	if err != nil {
		t.Fatal(err)
	}
	want := `[
    {
        "CreatedAt": "2026-11-24T01:02:03Z",
        "Driver": "local",
        "Labels": {
            "k": "v"
        },
        "Mountpoint": "/var/lib/berth/volumes/data/_data",
        "Name": "data",
        "Options": null,
        "Scope": "local"
    }
]
`
	if out != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
	out, _, err, _ = run(t, routes, "", "volume", "inspect", "-f", "{{.Name}}:{{.Labels.k}}", "data", "nope")
	if out != "data:v\n" || err == nil || err.Error() != "Error response from daemon: get nope: no such volume" {
		t.Fatalf("partial inspect: %q %v", out, err)
	}
}

func TestRemove(t *testing.T) {
	routes := map[string]http.HandlerFunc{
		"DELETE /volumes/a":    func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) },
		"DELETE /volumes/used": fakeapi.Err(409, "remove used: volume is in use - [abc]"),
		"DELETE /volumes/gone": fakeapi.Err(404, "get gone: no such volume"),
	}
	out, _, err, api := run(t, routes, "", "volume", "rm", "-f", "used", "a", "gone")
	if out != "a\n" {
		t.Fatalf("out %q", out)
	}
	want := "Error response from daemon: remove used: volume is in use - [abc]\nError response from daemon: get gone: no such volume"
	if err == nil || err.Error() != want {
		t.Fatalf("err %v, want %q", err, want)
	}
	if q := lastReq(t, api, "/volumes/a").URL.Query().Get("force"); q != "1" {
		t.Fatalf("force=%q", q)
	}
	if _, _, err, _ := run(t, routes, "", "volume", "rm"); err == nil || !strings.Contains(err.Error(), "'docker volume rm' requires at least 1 argument") {
		t.Fatalf("no args: %v", err)
	}
}

func TestPrune(t *testing.T) {
	var filters []string
	routes := map[string]http.HandlerFunc{
		"POST /volumes/prune": func(w http.ResponseWriter, r *http.Request) {
			filters = append(filters, r.URL.Query().Get("filters"))
			fakeapi.JSON(volume.PruneReport{VolumesDeleted: []string{"v1", "v2"}, SpaceReclaimed: 2048})(w, r)
		},
	}
	tests := []struct {
		name, stdin string
		args        []string
		out         string
		filters     map[string]map[string]bool
		wantErr     string
	}{
		{"yes", "y\n", []string{"volume", "prune"},
			"WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] Deleted Volumes:\nv1\nv2\n\nTotal reclaimed space: 2.048kB\n", map[string]map[string]bool{}, ""},
		{"no", "n\n", []string{"volume", "prune"},
			"WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ", nil, ""},
		{"all forced", "", []string{"volume", "prune", "-a", "-f", "--filter", "label=x"},
			"Deleted Volumes:\nv1\nv2\n\nTotal reclaimed space: 2.048kB\n", map[string]map[string]bool{"all": {"true": true}, "label": {"x": true}}, ""},
		{"all warning", "y\n", []string{"volume", "prune", "--all"},
			"WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] Deleted Volumes:\nv1\nv2\n\nTotal reclaimed space: 2.048kB\n", map[string]map[string]bool{"all": {"true": true}}, ""},
		{"conflict", "", []string{"volume", "prune", "-a", "-f", "--filter", "all=1"}, "", nil, "conflicting options: cannot specify both --all and --filter all=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			filters = nil
			out, _, err, _ := run(t, routes, tt.stdin, tt.args...)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || len(filters) != 0 {
					t.Fatalf("err = %v, calls %d", err, len(filters))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out != tt.out {
				t.Fatalf("got\n%q\nwant\n%q", out, tt.out)
			}
			if tt.filters == nil {
				if len(filters) != 0 {
					t.Fatal("prune called after a no")
				}
				return
			}
			if len(filters) != 1 {
				t.Fatalf("%d prune calls", len(filters))
			}
			got := map[string]map[string]bool{}
			if filters[0] != "" {
				if err := json.Unmarshal([]byte(filters[0]), &got); err != nil {
					t.Fatal(err)
				}
			}
			if !reflect.DeepEqual(got, tt.filters) {
				t.Fatalf("filters %v, want %v", got, tt.filters)
			}
		})
	}
}
