package layer

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/errdefs"
	digest "github.com/opencontainers/go-digest"
)

type ent struct {
	name, body string
	typ        byte
}

func mkTar(t testing.TB, ents ...ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: 0o644, ModTime: time.Unix(1700000000, 0)}
		switch e.typ {
		case tar.TypeDir:
			h.Mode = 0o755
		case tar.TypeSymlink:
			h.Linkname = e.body
		case tar.TypeReg:
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	return buf.Bytes()
}

func needRoot(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root: overlay mounts, mknod and trusted.* xattrs")
	}
}

func newStore(t *testing.T) *Store {
	s, err := New(filepath.Join(t.TempDir(), "layers"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// cleanupRW removes rw layers (and their mounts) even when a test fails.
func cleanupRW(t *testing.T, s *Store, ids ...string) {
	t.Cleanup(func() {
		for _, id := range ids {
			s.RemoveRW(id)
		}
	})
}

// tree returns "path=content" (files), "path/" (dirs), "path->target".
func tree(t *testing.T, dir string) []string {
	var out []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == dir {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case fi.IsDir():
			out = append(out, rel+"/")
		case fi.Mode()&os.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			out = append(out, rel+"->"+l)
		default:
			b, _ := os.ReadFile(p)
			out = append(out, rel+"="+string(b))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func mountedIn(t *testing.T, path string) bool {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 4 && f[4] == path {
			return true
		}
	}
	return false
}

var (
	base = []ent{{"etc/", "", tar.TypeDir}, {"etc/a", "a1", tar.TypeReg}, {"etc/b", "b1", tar.TypeReg},
		{"d/", "", tar.TypeDir}, {"d/x", "x1", tar.TypeReg}, {"lnk", "/etc/a", tar.TypeSymlink}}
	top = []ent{{"etc/", "", tar.TypeDir}, {"etc/a", "a2", tar.TypeReg}, {"etc/.wh.b", "", tar.TypeReg},
		{"etc/c", "c2", tar.TypeReg}, {"d/", "", tar.TypeDir}, {"d/.wh..wh..opq", "", tar.TypeReg}, {"d/y", "y2", tar.TypeReg}}
)

func register(t *testing.T, s *Store, data []byte, parent digest.Digest) Info {
	t.Helper()
	info, err := s.Register(bytes.NewReader(data), parent)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func TestRegisterAndGet(t *testing.T) {
	needRoot(t)
	s := newStore(t)
	data := mkTar(t, base...)
	l1 := register(t, s, data, "")
	sum := sha256.Sum256(data)
	if want := digest.NewDigestFromBytes(digest.SHA256, sum[:]); l1.DiffID != want || l1.ChainID != want || l1.Parent != "" {
		t.Fatalf("info = %+v, want diffID = chainID = %s", l1, want)
	}
	// a1, b1, x1 and the symlink's target "/etc/a" (Docker's directory.Size)
	if l1.Size != 12 {
		t.Errorf("size = %d, want 12", l1.Size)
	}
	data2 := mkTar(t, top...)
	l2 := register(t, s, data2, l1.ChainID)
	if want := digest.FromString(l1.ChainID.String() + " " + l2.DiffID.String()); l2.ChainID != want {
		t.Fatalf("chainID = %s, want %s", l2.ChainID, want)
	}
	if again := register(t, s, data2, l1.ChainID); again != l2 {
		t.Fatalf("re-register = %+v, want %+v", again, l2)
	}
	// A fresh Store (daemon restart) reads the metadata back.
	s2, err := New(s.root)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s2.Get(l2.ChainID); err != nil || got != l2 {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if _, err := s2.Get(digest.FromString("nope")); !errdefs.IsNotFound(err) {
		t.Fatalf("Get(missing) err = %v", err)
	}
	if _, err := s2.Get("sha256:../../etc"); !errdefs.IsInvalidParameter(err) {
		t.Fatalf("Get(bad id) err = %v", err)
	}
	if _, err := s.Register(bytes.NewReader(data), digest.FromString("nope")); !errdefs.IsNotFound(err) {
		t.Fatalf("Register(missing parent) err = %v", err)
	}
	rc, err := s2.TarStream(l2.ChainID)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, data2) {
		t.Fatal("TarStream is not byte-identical to the registered tar")
	}
	if all, _ := s2.List(); len(all) != 2 {
		t.Fatalf("List = %v", all)
	}
	// Overlay whiteouts in the stored diff.
	fi, err := os.Lstat(filepath.Join(s.DiffPath(l2.ChainID), "etc/b"))
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("whiteout not converted: %v %v", fi, err)
	}
}

func TestRegisterHostileLeavesNothing(t *testing.T) {
	needRoot(t)
	s := newStore(t)
	l1 := register(t, s, mkTar(t, base...), "")
	before := tree(t, s.root)
	for _, bad := range [][]byte{
		mkTar(t, ent{"ok", "x", tar.TypeReg}, ent{"../escape", "x", tar.TypeReg}),
		mkTar(t, ent{"ok", "x", tar.TypeReg}, ent{"v", "", 'V'}),
		mkTar(t, ent{"ok", strings.Repeat("x", 2000), tar.TypeReg})[:1000], // truncated
	} {
		if _, err := s.Register(bytes.NewReader(bad), l1.ChainID); err == nil {
			t.Fatal("hostile tar registered")
		}
	}
	if after := tree(t, s.root); !slices.Equal(before, after) {
		t.Fatalf("store changed:\nbefore %q\nafter  %q", before, after)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(s.root), "escape")); err == nil {
		t.Fatal("file escaped the store")
	}
}

func TestRWLifecycle(t *testing.T) {
	needRoot(t)
	s := newStore(t)
	l1 := register(t, s, mkTar(t, base...), "")
	l2 := register(t, s, mkTar(t, top...), l1.ChainID)
	cleanupRW(t, s, "c1", "c2", "c3")
	if err := s.CreateRW("c1", l2.ChainID); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRW("c1", l2.ChainID); !errdefs.IsConflict(err) {
		t.Fatalf("duplicate CreateRW err = %v", err)
	}
	merged, err := s.Mount("c1")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"d/", "d/y=y2", "etc/", "etc/a=a2", "etc/c=c2", "lnk->/etc/a"}
	if got := tree(t, merged); !slices.Equal(got, want) {
		t.Fatalf("merged = %q, want %q", got, want)
	}

	// The container writes.
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(merged, "etc/new"), []byte("n"), 0o644))
	must(os.WriteFile(filepath.Join(merged, "etc/c"), []byte("c3"), 0o644))
	must(os.Remove(filepath.Join(merged, "etc/a")))
	must(os.MkdirAll(filepath.Join(merged, "newdir"), 0o755))
	must(os.WriteFile(filepath.Join(merged, "newdir/f"), []byte("f"), 0o644))
	must(os.RemoveAll(filepath.Join(merged, "d")))
	must(os.Mkdir(filepath.Join(merged, "d"), 0o755))
	must(os.WriteFile(filepath.Join(merged, "d/z"), []byte("z"), 0o644))

	changes, err := s.Changes("c1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range changes {
		got = append(got, fmt.Sprintf("%c %s", "CAD"[c.Kind], c.Path))
	}
	wantChanges := []string{"C /d", "A /d/z", "D /d/y", "C /etc", "D /etc/a", "C /etc/c", "A /etc/new", "A /newdir", "A /newdir/f"}
	if !slices.Equal(got, wantChanges) {
		t.Fatalf("changes = %q\nwant %q", got, wantChanges)
	}
	if size, err := s.RWSize("c1"); err != nil || size != 5 { // "c3" + n + f + z; whiteouts count 0
		t.Fatalf("RWSize = %d, %v", size, err)
	}

	// Commit round trip: the diff as a new layer reproduces the view.
	rc, err := s.DiffTar("c1")
	if err != nil {
		t.Fatal(err)
	}
	diff, _ := io.ReadAll(rc)
	rc.Close()
	l3 := register(t, s, diff, l2.ChainID)
	must(s.CreateRW("c2", l3.ChainID))
	merged2, err := s.Mount("c2")
	must(err)
	if a, b := tree(t, merged), tree(t, merged2); !slices.Equal(a, b) {
		t.Fatalf("committed view differs:\n%q\n%q", a, b)
	}

	// Layers in use cannot go.
	for _, c := range []digest.Digest{l1.ChainID, l3.ChainID} {
		if err := s.Delete(c); !errdefs.IsConflict(err) {
			t.Fatalf("Delete(%s) err = %v, want conflict", c, err)
		}
	}

	// Reference counting, and adoption of a mount after a restart.
	if _, err := s.Mount("c1"); err != nil {
		t.Fatal(err)
	}
	must(s.Unmount("c1"))
	if !mountedIn(t, merged) {
		t.Fatal("unmounted while a reference remains")
	}
	s2, _ := New(s.root)
	if m, err := s2.Mount("c1"); err != nil || m != merged {
		t.Fatalf("Mount after restart = %q, %v", m, err)
	}
	must(s2.Unmount("c1"))
	if mountedIn(t, merged) {
		t.Fatal("still mounted after last Unmount")
	}
	must(s.Unmount("c1")) // idempotent once unmounted

	// Zero-layer image.
	must(s.CreateRW("c3", ""))
	m3, err := s.Mount("c3")
	must(err)
	if got := tree(t, m3); len(got) != 0 {
		t.Fatalf("empty image rootfs = %q", got)
	}

	for _, id := range []string{"c1", "c2", "c3"} {
		mp := s.MergedPath(id)
		must(s.RemoveRW(id))
		if mountedIn(t, mp) {
			t.Fatalf("%s still mounted after RemoveRW", id)
		}
		if _, err := os.Stat(s.rwDir(id)); !os.IsNotExist(err) {
			t.Fatalf("%s dir remains: %v", id, err)
		}
	}
	must(s.RemoveRW("c1")) // already gone
	for _, c := range []digest.Digest{l3.ChainID, l2.ChainID, l1.ChainID} {
		must(s.Delete(c))
	}
	if left := tree(t, s.root); !slices.Equal(left, []string{"empty/", "l/", "rw/", "tmp/"}) {
		t.Fatalf("store not empty after deleting everything: %q", left)
	}
}

// TestManyLayers goes past one page of overlay mount data.
func TestManyLayers(t *testing.T) {
	needRoot(t)
	s := newStore(t)
	var parent digest.Digest
	const n = 120
	for i := 0; i < n; i++ {
		parent = register(t, s, mkTar(t, ent{fmt.Sprintf("f%03d", i), fmt.Sprint(i), tar.TypeReg}), parent).ChainID
	}
	cleanupRW(t, s, "many")
	if err := s.CreateRW("many", parent); err != nil {
		t.Fatal(err)
	}
	lower, _ := os.ReadFile(filepath.Join(s.rwDir("many"), "lower"))
	if len(lower) < os.Getpagesize() {
		t.Fatalf("test does not exceed a page (%d bytes); make more layers", len(lower))
	}
	merged, err := s.Mount("many")
	if err != nil {
		t.Fatal(err)
	}
	if got := tree(t, merged); len(got) != n || got[n-1] != fmt.Sprintf("f%03d=%d", n-1, n-1) {
		t.Fatalf("merged has %d entries: %q...", len(got), got[:3])
	}
	if err := s.RemoveRW("many"); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkCreateMount measures the container-start path: CreateRW +
// Mount (and the teardown).
func BenchmarkCreateMount(b *testing.B) {
	if os.Getuid() != 0 {
		b.Skip("needs root: overlay mounts")
	}
	s, err := New(filepath.Join(b.TempDir(), "layers"))
	if err != nil {
		b.Fatal(err)
	}
	var parent digest.Digest
	for i := 0; i < 5; i++ {
		info, err := s.Register(bytes.NewReader(mkTar(b, ent{fmt.Sprintf("f%d", i), "x", tar.TypeReg})), parent)
		if err != nil {
			b.Fatal(err)
		}
		parent = info.ChainID
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := fmt.Sprintf("bench%d", i)
		if err := s.CreateRW(id, parent); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Mount(id); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := s.RemoveRW(id); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
