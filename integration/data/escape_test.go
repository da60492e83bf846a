package data

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSymlinkEscape: an image whose /data is a symlink to /etc (or to
// ../../..) gets its volume at the container's own /etc; nothing is copied
// from or written to the host's.
func TestSymlinkEscape(t *testing.T) {
	d := daemon(t)
	img := "it/escape:1"
	imageWith(t, d, img, []tarEntry{
		{hdr: tar.Header{Name: "data", Typeflag: tar.TypeSymlink, Linkname: "/etc"}},
		{hdr: tar.Header{Name: "up", Typeflag: tar.TypeSymlink, Linkname: "../../../../../../etc"}},
		{hdr: tar.Header{Name: "etc/image-marker", Typeflag: tar.TypeReg, Mode: 0o644}, body: "image\n"},
	}, `CMD ["sh"]`)
	hostEtc, err := os.ReadDir("/etc")
	if err != nil {
		t.Fatal(err)
	}
	for name, run := range clis(d) {
		t.Run(name, func(t *testing.T) {
			for _, target := range []string{"/data", "/up"} {
				vol := uniq(t, name, "esc"+strings.TrimPrefix(target, "/"))
				marker := "escape-" + vol
				out := must(t, run, "run", "--rm", "-v", vol+":"+target, img, "sh", "-c", "cat /etc/image-marker; touch /etc/"+marker+" "+target+"/"+marker+"2")
				if !strings.HasPrefix(out, "image\n") {
					t.Errorf("%s: the container's /etc is not the image's: %q", target, out)
				}
				for _, p := range []string{"/etc/" + marker, "/etc/" + marker + "2"} {
					if _, err := os.Stat(p); err == nil {
						os.Remove(p)
						t.Fatalf("%s: container wrote %s on the host", target, p)
					}
				}
				// the volume got the image's /etc, not the host's
				ls := must(t, run, "run", "--rm", "-v", vol+":/v", "busybox", "ls", "/v")
				if !strings.Contains(ls, "image-marker") || len(strings.Fields(ls)) >= len(hostEtc) {
					t.Errorf("%s: volume content %q", target, ls)
				}
				// cp into the symlinked mount point lands in the volume
				ctr := uniq(t, name, "cp"+strings.TrimPrefix(target, "/"))
				must(t, run, "create", "--name", ctr, "-v", vol+":"+target, img)
				src := filepath.Join(t.TempDir(), "copied-in")
				if err := os.WriteFile(src, []byte("x"), 0o644); err != nil {
					t.Fatal(err)
				}
				must(t, run, "cp", src, ctr+":"+target+"/")
				must(t, run, "rm", ctr)
				if out := must(t, run, "run", "--rm", "-v", vol+":/v", "busybox", "ls", "/v"); !strings.Contains(out, "copied-in") {
					t.Errorf("cp into %s/: volume has %q", target, out)
				}
				if _, err := os.Stat("/etc/copied-in"); err == nil {
					t.Fatalf("cp wrote the host's /etc")
				}
				must(t, run, "volume", "rm", vol)
			}
		})
	}
	if after, _ := os.ReadDir("/etc"); len(after) != len(hostEtc) {
		t.Errorf("host /etc changed: %d entries, was %d", len(after), len(hostEtc))
	}
}
