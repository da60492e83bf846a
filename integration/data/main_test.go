// Package data holds black-box integration tests of volumes, bind mounts
// and tmpfs: every form of -v/--mount/--tmpfs/--volumes-from, copy-in,
// backup and restore, propagation, symlink escapes, rm -v, storage
// accounting. They drive a private daemon through our CLI and the official
// docker CLI.
package data

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-project/berth/internal/testutil"
)

var shared = &testutil.Shared{Busybox: true}

// daemon returns the daemon shared by this package's tests; it is stopped
// (and checked for leaks) in TestMain. Tests remove their own objects.
func daemon(t *testing.T) *testutil.Daemon {
	t.Helper()
	return shared.Get(t)
}

func TestMain(m *testing.M) { shared.Main(m) }

type cli = testutil.CLI

// clis runs each step through our CLI and the official docker CLI.
func clis(d *testutil.Daemon) map[string]cli { return testutil.CLIs(d) }

func must(t *testing.T, run cli, args ...string) string {
	t.Helper()
	out, err := run(args...)
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return out
}

// fails runs a command that must fail with exit code 125 and an output
// containing want.
func fails(t *testing.T, run cli, want string, args ...string) {
	t.Helper()
	out, err := run(args...)
	if code := testutil.ExitCode(err); code != 125 {
		t.Errorf("%v: exit %d, want 125; output:\n%s", args, code, out)
	}
	if !strings.Contains(out, want) {
		t.Errorf("%v: output %q lacks %q", args, out, want)
	}
}

// uniq makes a name unique per test and CLI.
func uniq(t *testing.T, cliName, what string) string {
	r := strings.NewReplacer("/", "-", "_", "-")
	return strings.ToLower(r.Replace(fmt.Sprintf("%s-%s-%s", what, cliName, t.Name())))
}

// mountPoint is the inspect Mounts entry.
type mountPoint struct {
	Type, Name, Source, Destination, Driver, Mode, Propagation string
	RW                                                         bool
}

func inspectMounts(t *testing.T, run cli, ctr string) []mountPoint {
	t.Helper()
	var ms []mountPoint
	out := must(t, run, "inspect", "--format", "{{json .Mounts}}", ctr)
	if err := json.Unmarshal([]byte(out), &ms); err != nil {
		t.Fatalf("inspect Mounts %q: %v", out, err)
	}
	return ms
}

func volumeExists(run cli, name string) bool {
	out, err := run("volume", "ls", "-q", "--filter", "name="+name)
	if err != nil {
		return false
	}
	for _, l := range strings.Fields(out) {
		if l == name {
			return true
		}
	}
	return false
}

// tarEntry is one extra file for imageWith.
type tarEntry struct {
	hdr  tar.Header
	body string
}

// imageWith imports busybox plus extra entries (overriding same-named
// ones) as image ref, with import --change instructions.
func imageWith(t *testing.T, d *testutil.Daemon, ref string, extra []tarEntry, changes ...string) {
	t.Helper()
	src, err := os.Open(filepath.Join(d.Root, "busybox.tar"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	path := filepath.Join(t.TempDir(), "img.tar")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	override := map[string]bool{}
	for _, e := range extra {
		override[strings.TrimSuffix(e.hdr.Name, "/")] = true
	}
	tr := tar.NewReader(src)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if override[strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/")] {
			continue
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(tw, tr); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range extra {
		h := e.hdr
		h.Size = int64(len(e.body))
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	args := []string{"import"}
	for _, c := range changes {
		args = append(args, "--change", c)
	}
	must(t, d.Run, append(args, path, ref)...)
	t.Cleanup(func() { _, _ = d.Run("rmi", "-f", ref) })
}
