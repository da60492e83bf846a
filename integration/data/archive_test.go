package data

import (
	"archive/tar"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-project/berth/internal/testutil"
)

// TestCopyExportCommitDiff: cp reads and writes volume and bind contents
// (stopped or running container); export, commit and diff carry the
// container layer only, with whiteouts for deleted image files.
func TestCopyExportCommitDiff(t *testing.T) {
	d := daemon(t)
	for name, run := range clis(d) {
		t.Run(name, func(t *testing.T) {
			ctr, vol, img := uniq(t, name, "arch"), uniq(t, name, "archvol"), uniq(t, name, "committed")
			host := t.TempDir()
			if err := os.WriteFile(filepath.Join(host, "inbind"), []byte("bind\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			defer run("volume", "rm", "-f", vol)
			must(t, run, "run", "--name", ctr, "-v", vol+":/vol", "-v", host+":/bind:ro", "busybox", "sh", "-c",
				"echo layer > /inlayer; echo vol > /vol/invol; rm /etc/group")
			defer run("rm", "-v", ctr)

			// cp out of a volume and a bind
			out := t.TempDir()
			must(t, run, "cp", ctr+":/vol/invol", filepath.Join(out, "invol"))
			must(t, run, "cp", ctr+":/bind/inbind", filepath.Join(out, "inbind"))
			for f, want := range map[string]string{"invol": "vol\n", "inbind": "bind\n"} {
				if b, _ := os.ReadFile(filepath.Join(out, f)); string(b) != want {
					t.Errorf("cp out %s: %q", f, b)
				}
			}
			// cp into a volume goes to the volume; into a :ro bind is refused
			src := filepath.Join(out, "new")
			if err := os.WriteFile(src, []byte("copied\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			must(t, run, "cp", src, ctr+":/vol/new")
			if got := must(t, run, "run", "--rm", "-v", vol+":/v", "busybox", "cat", "/v/new"); got != "copied\n" {
				t.Errorf("cp into volume: %q", got)
			}
			if o, err := run("cp", src, ctr+":/bind/new"); err == nil || !strings.Contains(o, "read-only") {
				t.Errorf("cp into a :ro bind: %v %q", err, o)
			}
			// a directory copy of / includes volume contents (as docker cp)
			if o := must(t, run, "cp", ctr+":/vol", filepath.Join(out, "voldir")); o != "" && !strings.Contains(o, "Successfully") {
				t.Errorf("cp dir: %q", o)
			}
			if _, err := os.Stat(filepath.Join(out, "voldir", "invol")); err != nil {
				t.Errorf("cp of the volume dir: %v", err)
			}

			// diff: the layer's changes, not the volume's files
			diff := must(t, run, "diff", ctr)
			for _, want := range []string{"A /inlayer", "D /etc/group"} {
				if !strings.Contains(diff, want) {
					t.Errorf("diff lacks %q:\n%s", want, diff)
				}
			}
			if strings.Contains(diff, "invol") || strings.Contains(diff, "inbind") || strings.Contains(diff, "/vol/new") {
				t.Errorf("diff shows volume or bind files:\n%s", diff)
			}
			// export: layer only
			names := exportNames(t, d, ctr)
			if !names["inlayer"] || names["vol/invol"] || names["bind/inbind"] || names["etc/group"] || names["vol/new"] {
				t.Errorf("export entries: inlayer=%v vol/invol=%v bind/inbind=%v etc/group=%v", names["inlayer"], names["vol/invol"], names["bind/inbind"], names["etc/group"])
			}
			// commit: layer only, deleted file stays deleted
			must(t, run, "commit", ctr, img)
			defer run("rmi", img)
			got := must(t, run, "run", "--rm", img, "sh", "-c", "cat /inlayer; find /vol /bind ! -type d; test -e /etc/group && echo group-back; true")
			if got != "layer\n" {
				t.Errorf("committed image content: %q", got)
			}
		})
	}
}

// exportNames lists the entries of `export` through our CLI.
func exportNames(t *testing.T, d *testutil.Daemon, ctr string) map[string]bool {
	t.Helper()
	cmd := exec.Command(filepath.Join(d.Bin, "berth"), "export", ctr)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+d.Host)
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	tr := tar.NewReader(pipe)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names[strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/")] = true
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	return names
}
