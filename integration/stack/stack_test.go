package stack

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
)

func need(t *testing.T) *engine {
	t.Helper()
	if eng == nil {
		t.Skip(skipMsg)
	}
	return eng
}

func fixture(name string) string {
	return filepath.Join(testutil.RepoRoot(), "cli", "command", "stack", "testdata", name)
}

// specs returns the stack's service specs by name, with network IDs
// replaced by names (the daemon stores IDs, which differ between deploys).
func specs(t *testing.T, e *engine, stack string) map[string]map[string]any {
	t.Helper()
	ids, err := e.docker("service", "ls", "-q", "--filter", "label=com.docker.stack.namespace="+stack)
	if err != nil {
		t.Fatalf("service ls: %v: %s", err, ids)
	}
	nets := map[string]string{}
	out, err := e.docker("network", "ls", "--no-trunc", "--format", "{{.ID}} {{.Name}}")
	if err != nil {
		t.Fatalf("network ls: %v: %s", err, out)
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if id, name, ok := strings.Cut(l, " "); ok {
			nets[id] = name
		}
	}
	res := map[string]map[string]any{}
	for _, id := range strings.Fields(ids) {
		raw, err := e.docker("service", "inspect", "--format", "{{json .Spec}}", id)
		if err != nil {
			t.Fatalf("service inspect: %v: %s", err, raw)
		}
		// Secrets and configs are recreated between the two deploys.
		raw = objectIDs.ReplaceAllString(raw, `"${1}ID":"(id)"`)
		for netID, name := range nets {
			raw = strings.ReplaceAll(raw, `"`+netID+`"`, `"`+name+`"`)
		}
		var spec map[string]any
		if err := json.Unmarshal([]byte(raw), &spec); err != nil {
			t.Fatalf("%v: %s", err, raw)
		}
		res[spec["Name"].(string)] = spec
	}
	return res
}

var objectIDs = regexp.MustCompile(`"(Secret|Config)ID":"[a-z0-9]+"`)

func rmStack(t *testing.T, e *engine, stack string) {
	t.Helper()
	if out, err := e.docker("stack", "rm", stack); err != nil {
		t.Fatalf("stack rm: %v: %s", err, out)
	}
	for range 100 {
		out, _ := e.docker("network", "ls", "-q", "--filter", "label=com.docker.stack.namespace="+stack)
		if strings.TrimSpace(out) == "" {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("stack %s networks still there", stack)
}

func sortedLines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}

// TestDeploySameSpecs deploys each file with the docker CLI, records the
// specs, removes the stack, deploys it with berth and compares.
func TestDeploySameSpecs(t *testing.T) {
	e := need(t)
	berth := filepath.Join(testutil.Binaries(t), "berth")
	for _, f := range []string{"getstarted/docker-compose2.yml", "getstarted/docker-compose3.yml", "full/docker-compose.yml"} {
		t.Run(f, func(t *testing.T) {
			const stack = "getstartedlab"
			args := []string{"stack", "deploy", "--resolve-image", "never", "-c", fixture(f), stack}
			dout, err := e.docker(args...)
			if err != nil {
				t.Fatalf("docker %v: %v\n%s", args, err, dout)
			}
			want := specs(t, e, stack)
			rmStack(t, e, stack)
			bout, err := e.run(berth, args...)
			if err != nil {
				t.Fatalf("berth %v: %v\n%s", args, err, bout)
			}
			got := specs(t, e, stack)
			defer rmStack(t, e, stack)
			if len(want) == 0 || len(got) != len(want) {
				t.Fatalf("services: docker %d, berth %d", len(want), len(got))
			}
			for name, w := range want {
				g := got[name]
				if !reflect.DeepEqual(w, g) {
					wj, _ := json.MarshalIndent(w, "", "  ")
					gj, _ := json.MarshalIndent(g, "", "  ")
					t.Errorf("service %s spec differs (- docker, + berth):\n%s", name, lineDiff(string(wj), string(gj)))
				}
			}
			if !reflect.DeepEqual(sortedLines(dout), sortedLines(bout)) {
				t.Errorf("output differs\n--- docker:\n%s\n--- berth:\n%s", dout, bout)
			}
		})
	}
}

// TestUpdateAndList redeploys with berth (update with the current
// version), then checks ls, services, ps and rm against docker's output.
func TestUpdateAndList(t *testing.T) {
	e := need(t)
	berth := filepath.Join(testutil.Binaries(t), "berth")
	const stack = "lab"
	f := fixture("getstarted/docker-compose3.yml")
	if out, err := e.run(berth, "stack", "deploy", "--resolve-image", "never", "-c", f, stack); err != nil {
		t.Fatalf("deploy: %v: %s", err, out)
	}
	out, err := e.run(berth, "stack", "deploy", "--resolve-image", "never", "-c", f, stack)
	if err != nil {
		t.Fatalf("redeploy: %v: %s", err, out)
	}
	if !strings.Contains(out, "Updating service lab_web (id: ") {
		t.Errorf("redeploy output %q", out)
	}
	for _, args := range [][]string{
		{"stack", "ls"},
		{"stack", "ls", "--format", "{{.Name}}: {{.Services}}"},
		{"stack", "services", "--format", "{{.Name}} {{.Mode}} {{.Image}} {{.Ports}}", stack},
		{"stack", "services", "-q", stack},
		{"stack", "ps", "--format", "{{.Name}} {{.Image}} {{.DesiredState}}", stack},
		{"stack", "ps", "nosuch"},
		{"stack", "services", "nosuch"},
		{"stack", "deploy", "-c", f, " "},
		{"stack", "deploy", stack},
	} {
		d, derr := e.docker(args...)
		b, berr := e.run(berth, args...)
		if (derr == nil) != (berr == nil) || d != b {
			t.Errorf("%v:\n--- docker (%v):\n%s--- berth (%v):\n%s", args, derr, d, berr, b)
		}
	}
	out, err = e.run(berth, "stack", "rm", stack)
	if err != nil {
		t.Fatalf("rm: %v: %s", err, out)
	}
	for _, want := range []string{"Removing service lab_redis", "Removing service lab_web", "Removing network lab_webnet"} {
		if !strings.Contains(out, want) {
			t.Errorf("rm output lacks %q:\n%s", want, out)
		}
	}
	out, _ = e.run(berth, "stack", "rm", stack)
	if strings.TrimSpace(out) != "Nothing found in stack: lab" {
		t.Errorf("second rm: %q", out)
	}
	_ = os.Getenv
}

// lineDiff lists the lines only one side has (enough for indented JSON).
func lineDiff(a, b string) string {
	count := map[string]int{}
	for _, l := range strings.Split(a, "\n") {
		count[l]++
	}
	for _, l := range strings.Split(b, "\n") {
		count[l]--
	}
	var out []string
	for l, n := range count {
		for ; n > 0; n-- {
			out = append(out, "- "+l)
		}
		for ; n < 0; n++ {
			out = append(out, "+ "+l)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// TestBadInput deploys broken files with both CLIs: same error text and
// exit status, and nothing half-created by berth.
func TestBadInput(t *testing.T) {
	e := need(t)
	berth := filepath.Join(testutil.Binaries(t), "berth")
	files, err := filepath.Glob(fixture("bad/*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			args := []string{"stack", "deploy", "--resolve-image", "never", "-c", f, "bad"}
			d, derr := e.docker(args...)
			// docker creates the networks before it fails: clear them.
			_, _ = e.docker("stack", "rm", "bad")
			b, berr := e.run(berth, args...)
			if derr == nil || berr == nil {
				t.Fatalf("want failures; docker %v, berth %v", derr, berr)
			}
			// berth checks the whole file before creating anything, so it
			// lacks docker's "Creating network" lines; the error is the same.
			if want := dropCreating(d); b != want && !knownWording[filepath.Base(f)] {
				t.Errorf("--- docker:\n%s--- berth:\n%s", want, b)
			}
			for _, kind := range []string{"service", "network", "secret", "config"} {
				out, _ := e.docker(kind, "ls", "-q", "--filter", "label=com.docker.stack.namespace=bad")
				if strings.TrimSpace(out) != "" {
					t.Errorf("%s left behind: %s", kind, out)
					_, _ = e.docker("stack", "rm", "bad")
				}
			}
		})
	}
}

// knownWording are files whose error berth words as compose-go does
// (docker's schema says "services.web.deploy.replicas must be a
// integer", compose-go's interpolation "failed to cast to expected type").
var knownWording = map[string]bool{"bad-replicas.yml": true}

func dropCreating(s string) string {
	var out []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if !strings.HasPrefix(l, "Creating network ") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}
