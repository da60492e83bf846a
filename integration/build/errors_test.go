package build

import (
	"archive/tar"
	"bytes"
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
)

// leftovers lists what a failed build must not leave: containers, rw
// layers of the builder, mounts under the daemon's root.
func leftovers(t *testing.T, d *testutil.Daemon) string {
	t.Helper()
	var out []string
	if ps, _ := d.Run("ps", "-aq"); strings.TrimSpace(ps) != "" {
		out = append(out, "containers: "+ps)
	}
	if ents, _ := os.ReadDir(filepath.Join(d.Root, "data", "layers", "rw")); len(ents) > 0 {
		for _, e := range ents {
			out = append(out, "rw layer: "+e.Name())
		}
	}
	if m, _ := os.ReadFile("/proc/self/mountinfo"); bytes.Contains(m, []byte(filepath.Join(d.Root, "data"))) {
		for _, l := range strings.Split(string(m), "\n") {
			if strings.Contains(l, filepath.Join(d.Root, "data")) {
				out = append(out, "mount: "+l)
			}
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(d.Root, "data", "builder", "tmp")); len(ents) > 0 {
		out = append(out, "builder tmp not empty")
	}
	return strings.Join(out, "\n")
}

func TestBadInput(t *testing.T) {
	d := daemon(t)
	ctxFiles := map[string]string{"f": "x"}
	tests := []struct {
		name, dockerfile, want string
		code                   int // CLI exit code
	}{
		{"unknown instruction", "FROM busybox\nFOO bar\n", "dockerfile parse error on line 2: unknown instruction: FOO", 1},
		{"bad flag", "FROM busybox\nCOPY --bogus=1 f /f\n", "dockerfile parse error on line 2: unknown flag: --bogus", 1},
		{"missing stage image", "FROM busybox\nCOPY --from=nostage /x /x\n", "invalid from flag value nostage", 1},
		{"absent source", "FROM busybox\nCOPY missing /x\n", "COPY failed: file not found in build context or excluded by .dockerignore: stat missing: file does not exist", 1},
		{"outside context", "FROM busybox\nCOPY ../f /x\n", "COPY failed: forbidden path outside the build context: ../f ()", 1},
		{"symlink out of context", "FROM busybox\nCOPY link /x\n", "COPY failed: file not found in build context or excluded by .dockerignore: stat link: file does not exist", 1},
		{"failing RUN", "FROM busybox\nRUN echo last-words; exit 3\n", "The command '/bin/sh -c echo last-words; exit 3' returned a non-zero code: 3", 3},
		{"empty", "", "the Dockerfile (Dockerfile) cannot be empty", 1},
		{"no instructions", "\n# nothing\n", "failed to parse Dockerfile: file with no instructions", 1},
		{"bad stop signal", "FROM busybox\nSTOPSIGNAL NOPE\n", "Invalid signal: NOPE", 1},
		{"multi source to file", "FROM busybox\nCOPY f f /dest\n", "When using COPY with more than one source file, the destination must be a directory and end with a /", 1},
		{"run flags", "FROM busybox\nRUN --mount=type=cache,target=/c true\n", "the --mount option requires BuildKit", 1},
	}
	for name, bin := range clis(t, d) {
		for _, tt := range tests {
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				files := map[string]string{"Dockerfile": tt.dockerfile}
				for k, v := range ctxFiles {
					files[k] = v
				}
				dir := writeFiles(t, files)
				os.Symlink("/etc/passwd", filepath.Join(dir, "link"))
				before, _ := d.Run("images", "-aq")
				out, err := cli(d, bin, dir, "", "build", "-t", "it-bad", ".")
				if err == nil {
					d.Run("rmi", "it-bad")
					t.Fatalf("build succeeded:\n%s", out)
				}
				if !strings.Contains(out, tt.want) {
					t.Errorf("output lacks %q:\n%s", tt.want, out)
				}
				if c := testutil.ExitCode(err); c != tt.code {
					t.Errorf("exit code %d, want %d", c, tt.code)
				}
				if tt.code == 3 && !strings.Contains(out, "last-words") {
					t.Errorf("the RUN's output is not shown:\n%s", out)
				}
				if img, _ := d.Run("images", "-q", "it-bad"); strings.TrimSpace(img) != "" {
					t.Errorf("failed build tagged an image")
				}
				after, _ := d.Run("images", "-aq")
				// Steps before the failure stay as cache, the failing one leaves nothing.
				if tt.code == 3 && len(strings.Fields(after)) != len(strings.Fields(before)) {
					t.Errorf("images before %q after %q", before, after)
				}
				if l := leftovers(t, d); l != "" {
					t.Errorf("leftovers:\n%s", l)
				}
			})
		}
	}
}

// TestHostileContext: tar entries that climb out of the context are
// refused with a 400 and write nothing outside.
func TestHostileContext(t *testing.T) {
	d := daemon(t)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: 13, Typeflag: tar.TypeReg})
	tw.Write([]byte("FROM busybox\n"))
	tw.WriteHeader(&tar.Header{Name: "../../../../tmp/berth-escape-" + filepath.Base(d.Root), Mode: 0o644, Size: 1, Typeflag: tar.TypeReg})
	tw.Write([]byte("x"))
	tw.Close()
	code, out := apiBuild(t, d.HTTPClient(), url.Values{}, buf.Bytes())
	if code != 400 || !strings.Contains(out, "read build context") {
		t.Errorf("%d %s", code, out)
	}
	if _, err := os.Stat("/tmp/berth-escape-" + filepath.Base(d.Root)); err == nil {
		t.Error("tar entry escaped the context")
	}
	code, out = apiBuild(t, d.HTTPClient(), url.Values{}, buf.Bytes()[:520])
	if code == 200 && !strings.Contains(out, "error") {
		t.Errorf("truncated context accepted: %d %s", code, out)
	}
	if l := leftovers(t, d); l != "" {
		t.Errorf("leftovers:\n%s", l)
	}
}

// TestInterruptedBuild: a client that goes away mid-RUN stops the build;
// its container, rw layers and mounts go, and no image is tagged.
func TestInterruptedBuild(t *testing.T) {
	d := daemon(t)
	dir := writeFiles(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo started; sleep 60\n"})
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, filepath.Join(d.Bin, "berth"), "build", "-t", "it-interrupted", dir)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+d.Host)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "started") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	cmd.Wait()
	var l string
	for time.Now().Before(deadline) {
		if l = leftovers(t, d); l == "" {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if l != "" {
		t.Errorf("leftovers after interrupt:\n%s\nbuild output:\n%s", l, out.String())
	}
	if img, _ := d.Run("images", "-q", "it-interrupted"); strings.TrimSpace(img) != "" {
		t.Error("interrupted build tagged an image")
	}
}
