package volume

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
	volumetypes "github.com/moby/moby/api/types/volume"
)

// must runs a CLI step that has to succeed and returns its output.
func must(t *testing.T, run func(...string) (string, error), args ...string) string {
	t.Helper()
	out, err := run(args...)
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return out
}

func inspect(t *testing.T, run func(...string) (string, error), name string) volumetypes.Volume {
	t.Helper()
	var vs []volumetypes.Volume
	out := must(t, run, "volume", "inspect", name)
	if err := json.Unmarshal([]byte(out), &vs); err != nil || len(vs) != 1 {
		t.Fatalf("inspect %s: %v\n%s", name, err, out)
	}
	return vs[0]
}

func TestCreateListInspectRemove(t *testing.T) {
	d := daemon(t)
	for cli, run := range clis(d) {
		t.Run(cli, func(t *testing.T) {
			name := "it-" + cli + "-data"
			tmp := "it-" + cli + "-scratch"
			if out := must(t, run, "volume", "create", "--label", "app=web", "--label", "tier", name); out != name+"\n" {
				t.Fatalf("create printed %q", out)
			}
			must(t, run, "volume", "create", "-d", "local", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=16m", tmp)
			// Creating an existing name returns it unchanged.
			if out := must(t, run, "volume", "create", "--label", "other=1", name); out != name+"\n" {
				t.Fatalf("re-create printed %q", out)
			}
			v := inspect(t, run, name)
			wantMount := filepath.Join(d.Root, "data", "volumes", name, "_data")
			if v.Name != name || v.Driver != "local" || v.Scope != "local" || v.Mountpoint != wantMount ||
				!reflect.DeepEqual(v.Labels, map[string]string{"app": "web", "tier": ""}) || v.Options != nil {
				t.Fatalf("inspect %+v", v)
			}
			if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$`).MatchString(v.CreatedAt) {
				t.Fatalf("CreatedAt %q", v.CreatedAt)
			}
			if fi, err := os.Stat(wantMount); err != nil || fi.Mode().Perm() != 0o755 {
				t.Fatalf("mountpoint %v %v", fi, err)
			}
			if o := inspect(t, run, tmp).Options; !reflect.DeepEqual(o, map[string]string{"type": "tmpfs", "device": "tmpfs", "o": "size=16m"}) {
				t.Fatalf("options %v", o)
			}
			if out := must(t, run, "volume", "inspect", "-f", "{{.Name}} {{index .Labels \"app\"}} {{.Options.type}}", name, tmp); out != name+" web <no value>\n"+tmp+"  tmpfs\n" {
				t.Fatalf("inspect -f: %q", out)
			}

			out := must(t, run, "volume", "ls")
			if !strings.HasPrefix(out, "DRIVER    VOLUME NAME\n") || !strings.Contains(out, "local     "+name+"\n") {
				t.Fatalf("ls:\n%s", out)
			}
			for _, tt := range []struct {
				args []string
				want []string
			}{
				{[]string{"-q", "--filter", "name=it-" + cli}, []string{name, tmp}},
				{[]string{"-q", "--filter", "label=app=web", "--filter", "name=it-" + cli}, []string{name}},
				{[]string{"-q", "--filter", "label=tier", "--filter", "name=" + cli}, []string{name}},
				{[]string{"-q", "--filter", "dangling=true", "--filter", "name=it-" + cli}, []string{name, tmp}},
				{[]string{"-q", "--filter", "dangling=false", "--filter", "name=it-" + cli}, nil},
				{[]string{"-q", "--filter", "driver=local", "--filter", "name=" + cli + "-scr"}, []string{tmp}},
				{[]string{"--format", "{{.Name}}", "--filter", "label=app=nope"}, nil},
			} {
				got := strings.Fields(must(t, run, append([]string{"volume", "ls"}, tt.args...)...))
				sort.Strings(got)
				sort.Strings(tt.want)
				if len(got) != len(tt.want) || (len(got) > 0 && !reflect.DeepEqual(got, tt.want)) {
					t.Errorf("ls %v = %v, want %v", tt.args, got, tt.want)
				}
			}
			out, err := run("volume", "ls", "--filter", "until=1h")
			if testutil.ExitCode(err) != 1 || !strings.Contains(out, "Error response from daemon: invalid filter 'until'") {
				t.Errorf("bad filter: %v %q", err, out)
			}

			if out := must(t, run, "volume", "rm", name, tmp); out != name+"\n"+tmp+"\n" {
				t.Fatalf("rm printed %q", out)
			}
			if _, err := os.Stat(filepath.Join(d.Root, "data", "volumes", name)); !os.IsNotExist(err) {
				t.Fatalf("volume directory left after rm: %v", err)
			}
			out, err = run("volume", "rm", name)
			if testutil.ExitCode(err) != 1 || out != "Error response from daemon: get "+name+": no such volume\n" {
				t.Fatalf("rm missing: %v %q", err, out)
			}
			out, err = run("volume", "inspect", name)
			if testutil.ExitCode(err) != 1 || !strings.Contains(out, "Error response from daemon: get "+name+": no such volume") {
				t.Fatalf("inspect missing: %v %q", err, out)
			}
			if out, err := run("volume", "rm", "-f", name); err != nil || out != name+"\n" {
				t.Fatalf("rm -f missing: %v %q", err, out)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	d := daemon(t)
	invalid := func(n string) string {
		return `Error response from daemon: create ` + n + `: "` + n + `" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path` + "\n"
	}
	for cli, run := range clis(d) {
		t.Run(cli, func(t *testing.T) {
			tests := []struct {
				args []string
				want string
			}{
				{[]string{"volume", "create", "x/y"}, invalid("x/y")},
				{[]string{"volume", "create", ".."}, invalid("..")},
				{[]string{"volume", "create", "../../etc"}, invalid("../../etc")},
				{[]string{"volume", "create", "x"}, "Error response from daemon: create x: volume name is too short, names should be at least two alphanumeric characters\n"},
				{[]string{"volume", "create", "-o", "bogus=1", "it-opts"}, `Error response from daemon: create it-opts: invalid option: "bogus"` + "\n"},
				{[]string{"volume", "create", "-o", "type=tmpfs", "it-opts"}, `Error response from daemon: create it-opts: missing required option: "device"` + "\n"},
				{[]string{"volume", "create", "-o", "size=10m", "it-opts"}, "Error response from daemon: create it-opts: quota size requested but no quota support\n"},
				{[]string{"volume", "create", "-d", "nfsplugin", "it-opts"}, `Error response from daemon: create it-opts: error looking up volume plugin nfsplugin: plugin "nfsplugin" not found` + "\n"},
			}
			for _, tt := range tests {
				out, err := run(tt.args...)
				if testutil.ExitCode(err) != 1 || out != tt.want {
					t.Errorf("%v: exit %d\n got %q\nwant %q", tt.args, testutil.ExitCode(err), out, tt.want)
				}
			}
			// Nothing half-created: no directory and no record.
			entries, _ := os.ReadDir(filepath.Join(d.Root, "data", "volumes"))
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), ".") || e.Name() == "it-opts" || e.Name() == "x" {
					t.Errorf("left behind %s", e.Name())
				}
			}
			if out := must(t, run, "volume", "ls", "-q", "--filter", "name=it-opts"); out != "" {
				t.Errorf("record left: %q", out)
			}
		})
	}
}

func TestPrune(t *testing.T) {
	d := daemon(t)
	for cli, run := range clis(d) {
		t.Run(cli, func(t *testing.T) {
			named := "it-" + cli + "-named"
			keep := "it-" + cli + "-keep"
			anon := strings.TrimSpace(must(t, run, "volume", "create", "--label", "it="+cli))
			if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(anon) {
				t.Fatalf("anonymous name %q", anon)
			}
			if l := inspect(t, run, anon).Labels; !reflect.DeepEqual(l, map[string]string{"it": cli, "com.docker.volume.anonymous": ""}) {
				t.Fatalf("anonymous labels %v", l)
			}
			must(t, run, "volume", "create", "--label", "it="+cli, named)
			must(t, run, "volume", "create", "--label", "it="+cli, "--label", "keep", keep)
			// Real data so the reclaimed figure means something.
			if err := os.WriteFile(filepath.Join(d.Root, "data", "volumes", anon, "_data", "blob"), make([]byte, 5000), 0o644); err != nil {
				t.Fatal(err)
			}
			// Answering no deletes nothing.
			out, err := run("volume", "prune", "--filter", "label=it="+cli)
			if err != nil || !strings.Contains(out, "WARNING! This will remove anonymous local volumes not used by at least one container.") {
				t.Fatalf("prune prompt: %v %q", err, out)
			}
			inspect(t, run, anon)

			out = must(t, run, "volume", "prune", "-f", "--filter", "label=it="+cli)
			if want := "Deleted Volumes:\n" + anon + "\n\nTotal reclaimed space: 5kB\n"; out != want {
				t.Fatalf("prune:\n%q\nwant\n%q", out, want)
			}
			out = must(t, run, "volume", "prune", "-a", "-f", "--filter", "label=it="+cli, "--filter", "label!=keep")
			if want := "Deleted Volumes:\n" + named + "\n\nTotal reclaimed space: 0B\n"; out != want {
				t.Fatalf("prune -a:\n%q\nwant\n%q", out, want)
			}
			out = must(t, run, "volume", "prune", "-f", "--filter", "label=it="+cli)
			if out != "Total reclaimed space: 0B\n" {
				t.Fatalf("empty prune %q", out)
			}
			out, err = run("volume", "prune", "-f", "--filter", "dangling=true")
			if testutil.ExitCode(err) != 1 || !strings.Contains(out, "invalid filter 'dangling'") {
				t.Fatalf("bad prune filter: %v %q", err, out)
			}
			if got := strings.Fields(must(t, run, "volume", "ls", "-q", "--filter", "label=it="+cli)); !reflect.DeepEqual(got, []string{keep}) {
				t.Fatalf("left %v", got)
			}
			must(t, run, "volume", "rm", keep)
		})
	}
}

// TestAPI checks the raw JSON of the Engine API against Docker's shape.
func TestAPI(t *testing.T) {
	d := daemon(t)
	hc := d.HTTPClient()
	resp, err := hc.Post("http://berth/v1.51/volumes/create", "application/json", strings.NewReader(`{"Name":"it-api","Labels":{},"DriverOpts":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if want := []string{"CreatedAt", "Driver", "Labels", "Mountpoint", "Name", "Options", "Scope"}; !reflect.DeepEqual(keys, want) {
		t.Fatalf("keys %v, want %v", keys, want)
	}
	if !reflect.DeepEqual(m["Labels"], map[string]any{}) || !reflect.DeepEqual(m["Options"], map[string]any{}) {
		t.Fatalf("empty maps must stay {}: %s", body)
	}
	for _, tt := range []struct {
		method, path string
		code         int
		want         string
	}{
		{"GET", "/v1.51/volumes/it-api", 200, `"Name":"it-api"`},
		{"GET", `/v1.51/volumes?filters={"name":["it-api"]}`, 200, `"Warnings":null`},
		{"PUT", "/v1.51/volumes/it-api?version=1", 501, "cluster volumes are not implemented"},
		{"GET", "/v1.51/volumes/x%2Fy", 404, "no such volume"},
		{"DELETE", "/v1.51/volumes/it-api", 204, ""},
		{"DELETE", "/v1.51/volumes/it-api", 404, `{"message":"get it-api: no such volume"}`},
	} {
		req, _ := http.NewRequest(tt.method, "http://berth"+tt.path, nil)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.code || !strings.Contains(string(b), tt.want) {
			t.Errorf("%s %s: %d %s, want %d %q", tt.method, tt.path, resp.StatusCode, b, tt.code, tt.want)
		}
	}
}

// TestEvents checks Docker's volume events through `events`.
func TestEvents(t *testing.T) {
	d := daemon(t)
	for cli, run := range clis(d) {
		t.Run(cli, func(t *testing.T) {
			start := time.Now().Add(-time.Second).Unix()
			name := "it-" + cli + "-events"
			must(t, run, "volume", "create", name)
			must(t, run, "volume", "rm", name)
			out := must(t, run, "events", "--since", strconv.FormatInt(start, 10), "--until", strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10),
				"--filter", "type=volume", "--filter", "volume="+name, "--format", "{{.Type}} {{.Action}} {{.Actor.ID}} {{.Actor.Attributes.driver}}")
			if want := "volume create " + name + " local\nvolume destroy " + name + " local\n"; out != want {
				t.Fatalf("events %q, want %q", out, want)
			}
		})
	}
}

// TestPersistence restarts a private daemon: the volume's record, labels,
// options, creation time and data survive; removal afterwards still works.
func TestPersistence(t *testing.T) {
	testutil.RequireRoot(t)
	d := testutil.StartDaemon(t)
	for cli, run := range clis(d) {
		name := "it-" + cli + "-persist"
		must(t, run, "volume", "create", "--label", "keep=yes", "-o", "type=tmpfs", "-o", "device=tmpfs", name+"-opts")
		must(t, run, "volume", "create", "--label", "keep=yes", name)
		if err := os.WriteFile(filepath.Join(d.Root, "data", "volumes", name, "_data", "file"), []byte("survives"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	before := map[string]volumetypes.Volume{}
	for cli, run := range clis(d) {
		for _, n := range []string{"it-" + cli + "-persist", "it-" + cli + "-persist-opts"} {
			before[n] = inspect(t, run, n)
		}
	}
	if err := d.Restart(); err != nil {
		t.Fatal(err)
	}
	for cli, run := range clis(d) {
		t.Run(cli, func(t *testing.T) {
			name := "it-" + cli + "-persist"
			for _, n := range []string{name, name + "-opts"} {
				if got := inspect(t, run, n); !reflect.DeepEqual(got, before[n]) {
					t.Errorf("after restart %+v\nbefore %+v", got, before[n])
				}
			}
			b, err := os.ReadFile(filepath.Join(d.Root, "data", "volumes", name, "_data", "file"))
			if err != nil || string(b) != "survives" {
				t.Fatalf("data after restart: %q %v", b, err)
			}
			must(t, run, "volume", "rm", name, name+"-opts")
			if _, err := os.Stat(filepath.Join(d.Root, "data", "volumes", name)); !os.IsNotExist(err) {
				t.Fatalf("directory left: %v", err)
			}
		})
	}
}
