package build

import (
	"github.com/berth-project/berth/internal/testutil"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFeatures covers instructions and flags beyond the golden cases:
// heredocs, --chmod, ADD <url>, proxy args, --label, --network,
// --add-host, -m, -q, --iidfile, --platform, --pull.
func TestFeatures(t *testing.T) {
	d := daemon(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT")
		w.Write([]byte("remote-file\n"))
	}))
	defer srv.Close()
	df := "FROM busybox\n" +
		"RUN <<EOF\necho script-line > /heredoc\nEOF\n" +
		"RUN cat <<X > /heredoc2\ninline\nX\n" +
		"COPY --chmod=0751 f /chmodded\n" +
		"COPY --from=busybox /etc/group /from-image-group\n" +
		"ADD " + srv.URL + "/dl.txt /downloaded/\n" +
		"RUN echo \"proxy=$HTTP_PROXY\" > /proxy\n" +
		"RUN grep -q myhost /etc/hosts && echo host-ok > /hosts-ok\n" +
		"RUN cat /sys/fs/cgroup/memory/memory.limit_in_bytes > /mem 2>/dev/null || echo none > /mem\n"
	dir := writeFiles(t, map[string]string{"Dockerfile": df, "f": "x"})
	iid := filepath.Join(t.TempDir(), "iid")
	rmi(t, d, "it-features")
	berth := filepath.Join(d.Bin, "berth")
	out, err := cli(d, berth, dir, "", "build", "-q", "--iidfile", iid, "--label", "a.b=c", "--label", "z=1",
		"--build-arg", "HTTP_PROXY=http://proxy.invalid", "--add-host", "myhost:10.1.2.3", "-m", "64m", "-t", "it-features", ".")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	id, _ := os.ReadFile(iid)
	if !strings.HasPrefix(string(id), "sha256:") || strings.TrimSpace(out) != string(id) {
		t.Errorf("-q printed %q, iidfile %q", out, id)
	}
	check := func(cmd, want string) {
		t.Helper()
		got, err := d.Run("run", "--rm", "it-features", "sh", "-c", cmd)
		if err != nil || got != want {
			t.Errorf("%s: %q (%v), want %q", cmd, got, err, want)
		}
	}
	check("cat /heredoc /heredoc2", "script-line\ninline\n")
	check("stat -c %a /chmodded", "751\n")
	check("grep -c nogroup /from-image-group", "1\n")
	check("cat /downloaded/dl.txt; stat -c %a /downloaded/dl.txt", "remote-file\n600\n")
	check("cat /proxy", "proxy=http://proxy.invalid\n")
	check("cat /hosts-ok", "host-ok\n")
	check("cat /mem", "67108864\n")
	labels, _ := d.Run("image", "inspect", "--format", "{{json .Config.Labels}}", "it-features")
	if strings.TrimSpace(labels) != `{"a.b":"c","z":"1"}` {
		t.Errorf("labels %s", labels)
	}
	// Undeclared proxy args reach RUN but not the history.
	hist, _ := d.Run("history", "--no-trunc", "--format", "{{.CreatedBy}}", "it-features")
	if strings.Contains(hist, "proxy.invalid") {
		t.Errorf("proxy arg in history:\n%s", hist)
	}
	if !strings.Contains(hist, "#(nop)  LABEL a.b=c z=1") {
		t.Errorf("no LABEL step for --label:\n%s", hist)
	}
	// --network none: RUN has no network but loopback.
	dir2 := writeFiles(t, map[string]string{"Dockerfile": "FROM busybox\nRUN ls /sys/class/net | sort | tr '\\n' ' ' > /nets\n"})
	if out, err := cli(d, berth, dir2, "", "build", "--no-cache", "--network", "none", "-t", "it-features", "."); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	check("cat /nets", "lo ")
	// A platform that the base image is not.
	out, err = cli(d, berth, dir2, "", "build", "--platform", "linux/arm64", ".")
	if err == nil || !strings.Contains(out, "does not match the specified platform: wanted linux/arm64") {
		t.Errorf("--platform mismatch: %v\n%s", err, out)
	}
	// Parser directives: escape= changes the continuation character,
	// syntax= is accepted (and ignored: no BuildKit frontend image).
	dir4 := writeFiles(t, map[string]string{"Dockerfile": "# syntax=docker/dockerfile:1\n# escape=`\nFROM --platform=linux/" + hostArch(t, d) + " busybox\nRUN echo one `\n    two > /esc\n"})
	if out, err := cli(d, berth, dir4, "", "build", "-t", "it-features", "."); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	check("cat /esc", "one two\n")
	// --pull fetches the base image again, here from a registry on
	// 127.0.0.1 (test daemons cannot reach any other).
	reg := testutil.StartRegistry(t)
	base := reg + "/it-pull/busybox:latest"
	for _, args := range [][]string{{"tag", "busybox", base}, {"push", base}} {
		if out, err := d.Run(args...); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	defer d.Run("rmi", base)
	dir3 := writeFiles(t, map[string]string{"Dockerfile": "FROM " + base + "\nRUN true\n"})
	if out, err := cli(d, berth, dir3, "", "build", "--pull", "-t", "it-pulled", "."); err != nil || !strings.Contains(out, "Pulling from it-pull/busybox") {
		t.Errorf("--pull: %v\n%s", err, out)
	}
	d.Run("rmi", "it-pulled")
}

func hostArch(t *testing.T, d interface {
	Run(...string) (string, error)
}) string {
	out, err := d.Run("version", "--format", "{{.Server.Arch}}")
	if err != nil {
		t.Fatal(err, out)
	}
	return strings.TrimSpace(out)
}
