package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-project/berth/internal/testutil"
)

func TestImageCommands(t *testing.T) {
	d := daemon(t)
	for name, run := range clis(t, d) {
		t.Run(name, func(t *testing.T) {
			tag := "it-" + name + "/bb:1"
			must(t, run, "tag", "busybox", tag)
			out, _ := run("images", "--format", "{{.Repository}}:{{.Tag}}", "it-"+name+"/bb")
			if out != tag+"\n" {
				t.Errorf("images filtered by repo: %q", out)
			}
			out, _ = run("images", "-q", "--filter", "reference=it-"+name+"/*")
			if len(strings.TrimSpace(out)) != 12 {
				t.Errorf("images -q: %q", out)
			}
			// commit a change with a new CMD, run the result
			cname := "commit-" + name
			must(t, run, "run", "--name", cname, "busybox", "sh", "-c", "echo committed > /hello")
			out, err := run("diff", cname)
			if err != nil || !strings.Contains(out, "A /hello") {
				t.Errorf("diff: %v %q", err, out)
			}
			must(t, run, "commit", "-m", "msg", "-a", "me", "-c", `CMD ["cat","/hello"]`, cname, "it-"+name+"/committed:v1")
			out, err = run("run", "--rm", "it-"+name+"/committed:v1")
			if err != nil || out != "committed\n" {
				t.Errorf("run committed image: %v %q", err, out)
			}
			out, _ = run("history", "--format", "{{.Comment}}", "it-"+name+"/committed:v1")
			if !strings.HasPrefix(out, "msg\n") {
				t.Errorf("history: %q", out)
			}
			// rmi while a container uses it: conflict
			out, err = run("rmi", "it-"+name+"/committed:v1")
			if err != nil || !strings.Contains(out, "Untagged: it-"+name+"/committed:v1") {
				t.Errorf("rmi of the only tag (image kept by nothing): %v %q", err, out)
			}
			// cp both ways and export
			dir := t.TempDir()
			host := filepath.Join(dir, "in.txt")
			if err := os.WriteFile(host, []byte("from host\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			must(t, run, "cp", host, cname+":/tmp/")
			must(t, run, "cp", cname+":/tmp/in.txt", filepath.Join(dir, "back.txt"))
			if b, _ := os.ReadFile(filepath.Join(dir, "back.txt")); string(b) != "from host\n" {
				t.Errorf("cp round trip: %q", b)
			}
			must(t, run, "export", "-o", filepath.Join(dir, "fs.tar"), cname)
			if fi, err := os.Stat(filepath.Join(dir, "fs.tar")); err != nil || fi.Size() < 1<<20 {
				t.Errorf("export: %v", err)
			}
			// save and load round trip keeps the ID
			id1, _ := run("image", "inspect", "-f", "{{.Id}}", tag)
			must(t, run, "save", "-o", filepath.Join(dir, "img.tar"), tag)
			must(t, run, "rmi", tag)
			out, err = run("load", "-i", filepath.Join(dir, "img.tar"))
			if err != nil || !strings.Contains(out, "Loaded image: "+tag) {
				t.Errorf("load: %v %q", err, out)
			}
			id2, _ := run("image", "inspect", "-f", "{{.Id}}", tag)
			if id1 != id2 || !strings.HasPrefix(id1, "sha256:") {
				t.Errorf("save/load changed the ID: %q -> %q", id1, id2)
			}
			must(t, run, "rm", cname)
			must(t, run, "rmi", tag)
			out, err = run("rmi", "nosuchimage:latest")
			if testutil.ExitCode(err) != 1 || !strings.Contains(out, "No such image: nosuchimage:latest") {
				t.Errorf("rmi missing: %v %q", err, out)
			}
		})
	}
}

func TestHostileArchivesAreRefused(t *testing.T) {
	d := daemon(t)
	dir := t.TempDir()
	outside := filepath.Join(dir, "outside")
	// A tar whose entry climbs out of the target.
	evil := filepath.Join(dir, "evil.tar")
	writeTar(t, evil, map[string]string{"../../../../" + strings.TrimPrefix(outside, "/"): "pwned"})
	out, err := d.Run("import", evil, "evil:1")
	if err == nil {
		t.Errorf("import of an escaping tar succeeded: %s", out)
	}
	if _, err := os.Stat(outside); err == nil {
		t.Fatalf("hostile import wrote %s", outside)
	}
	out, err = d.Run("load", "-i", evil)
	if err == nil {
		t.Errorf("load of a garbage archive succeeded: %s", out)
	}
	if _, err := os.Stat(outside); err == nil {
		t.Fatalf("hostile load wrote %s", outside)
	}
	out, _ = d.Run("images", "-q", "evil")
	if strings.TrimSpace(out) != "" {
		t.Errorf("hostile archive left an image: %q", out)
	}
}

func must(t *testing.T, run func(...string) (string, error), args ...string) string {
	t.Helper()
	out, err := run(args...)
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return out
}
