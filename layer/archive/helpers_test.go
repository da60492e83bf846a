package archive

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"
)

// ent is one tar entry for building test archives.
type ent struct {
	name, body, link string
	typ              byte
	mode             int64
	uid, gid         int
	major, minor     int64
	xattrs           map[string]string
}

func file(name, body string) ent { return ent{name: name, body: body, typ: tar.TypeReg, mode: 0o644} }
func dir(name string) ent        { return ent{name: name, typ: tar.TypeDir, mode: 0o755} }
func symlink(name, target string) ent {
	return ent{name: name, link: target, typ: tar.TypeSymlink, mode: 0o777}
}
func hardlink(name, target string) ent {
	return ent{name: name, link: target, typ: tar.TypeLink, mode: 0o644}
}

var testTime = time.Unix(1700000000, 0)

func mkTar(t testing.TB, ents ...ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Linkname: e.link,
			Size: int64(len(e.body)), Uid: e.uid, Gid: e.gid, ModTime: testTime,
			Devmajor: e.major, Devminor: e.minor, Format: tar.FormatPAX}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		for k, v := range e.xattrs {
			if h.PAXRecords == nil {
				h.PAXRecords = map[string]string{}
			}
			h.PAXRecords["SCHILY.xattr."+k] = v
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("write header %s: %v", e.name, err)
		}
		if h.Size > 0 {
			tw.Write([]byte(e.body))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// box is a temp dir holding dst and a sibling sentinel dir with one file;
// nothing an Apply into dst does may change anything but dst.
type box struct{ top, dst, sentinel string }

func newBox(t testing.TB) box {
	t.Helper()
	top := t.TempDir()
	b := box{top: top, dst: filepath.Join(top, "dst"), sentinel: filepath.Join(top, "sentinel")}
	for _, d := range []string{b.dst, b.sentinel} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(b.sentinel, "file"), []byte("sentinel"), 0o644); err != nil {
		t.Fatal(err)
	}
	return b
}

// check fails if anything outside dst changed.
func (b box) check(t testing.TB) {
	t.Helper()
	names, err := os.ReadDir(b.top)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 2 {
		var got []string
		for _, n := range names {
			got = append(got, n.Name())
		}
		t.Fatalf("entries appeared next to dst: %v", got)
	}
	s, err := os.ReadDir(b.sentinel)
	if err != nil || len(s) != 1 {
		t.Fatalf("sentinel dir changed: %v %v", s, err)
	}
	data, err := os.ReadFile(filepath.Join(b.sentinel, "file"))
	if err != nil || string(data) != "sentinel" {
		t.Fatalf("sentinel file changed: %q %v", data, err)
	}
	fi, err := os.Lstat(filepath.Join(b.sentinel, "file"))
	if err != nil || fi.Mode() != 0o644 || fi.Sys().(*syscall.Stat_t).Uid != uint32(os.Getuid()) {
		t.Fatalf("sentinel file mode changed: %v %v", fi, err)
	}
}

// listTree returns "path type" lines for everything under dir.
func listTree(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == dir {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		kind := "f"
		switch m := fi.Mode(); {
		case m.IsDir():
			kind = "d"
		case m&os.ModeSymlink != 0:
			kind = "l"
		case m&os.ModeCharDevice != 0:
			kind = "c"
		case m&os.ModeNamedPipe != 0:
			kind = "p"
		}
		out = append(out, rel+" "+kind)
		return nil
	})
	sort.Strings(out)
	return out
}
