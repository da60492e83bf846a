package volume

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
	bolt "go.etcd.io/bbolt"
)

// newTestService opens a service on a fresh root and database; reopen
// gives a second Service over the same files (a daemon restart).
func newTestService(t *testing.T) (*Service, func() *Service) {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "volumes")
	dbPath := filepath.Join(dir, "berth.db")
	var db *bolt.DB
	open := func() *Service {
		t.Helper()
		if db != nil {
			_ = db.Close()
		}
		var err error
		db, err = bolt.Open(dbPath, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(root, db)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	t.Cleanup(func() { _ = db.Close() })
	return open(), open
}

func mustCreate(t *testing.T, s *Service, name string, opts, labels map[string]string) *Volume {
	t.Helper()
	v, err := s.Create(context.Background(), name, "", opts, labels)
	if err != nil {
		t.Fatalf("create %q: %v", name, err)
	}
	return v
}

func TestCreateNames(t *testing.T) {
	tests := []struct {
		name    string
		wantErr string
	}{
		{"ok", ""},
		{"a1", ""},
		{"My_vol.1-x", ""},
		{"x", "create x: volume name is too short, names should be at least two alphanumeric characters"},
		{"x/y", `create x/y: "x/y" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`},
		{"..", `create ..: ".." includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`},
		{"../etc", `create ../etc: "../etc" includes invalid characters`},
		{"_a", `create _a: "_a" includes invalid characters`},
		{"a b", `create a b: "a b" includes invalid characters`},
		{"/abs", `create /abs: "/abs" includes invalid characters`},
	}
	s, _ := newTestService(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := s.Create(context.Background(), tt.name, "local", nil, nil)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if v.Name != tt.name || v.Driver != "local" || v.Mountpoint != filepath.Join(s.root, tt.name, "_data") {
					t.Fatalf("got %+v", v)
				}
				return
			}
			if err == nil || !errdefs.IsInvalidParameter(err) {
				t.Fatalf("err = %v, want InvalidParameter", err)
			}
			if len(err.Error()) < len(tt.wantErr) || err.Error()[:len(tt.wantErr)] != tt.wantErr {
				t.Fatalf("err = %q, want prefix %q", err, tt.wantErr)
			}
		})
	}
	// Nothing but the valid volumes exists on disk: failed creates left no
	// directory (temporary or final) behind.
	entries, _ := os.ReadDir(s.root)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"My_vol.1-x", "a1", "ok"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("root holds %v, want %v", names, want)
	}
}

func TestCreateOptions(t *testing.T) {
	tests := []struct {
		opts    map[string]string
		wantErr string
	}{
		{nil, ""},
		{map[string]string{"type": "tmpfs", "device": "tmpfs", "o": "size=64m"}, ""},
		{map[string]string{"type": "none", "device": "/srv", "o": "bind"}, ""},
		{map[string]string{"type": "nfs", "device": ":/export", "o": "addr=127.0.0.1"}, ""},
		{map[string]string{"size": "0"}, ""},
		{map[string]string{"x": "1"}, `invalid option: "x"`},
		{map[string]string{"type": "tmpfs", "x": "1"}, `invalid option: "x"`},
		{map[string]string{"type": "tmpfs"}, `missing required option: "device"`},
		{map[string]string{"device": "tmpfs"}, `missing required option: "type"`},
		{map[string]string{"o": "size=1m"}, `missing required option: "device"`},
		{map[string]string{"size": "10m"}, "quota size requested but no quota support"},
		{map[string]string{"size": "lots"}, "invalid size: 'lots'"},
		{map[string]string{"type": "cifs", "device": "//h:445/share"}, "port not allowed in CIFS device URL, include 'port' in 'o='"},
	}
	s, _ := newTestService(t)
	for i, tt := range tests {
		t.Run(tt.wantErr, func(t *testing.T) {
			name := "vol" + string(rune('a'+i))
			v, err := s.Create(context.Background(), name, "", tt.opts, nil)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(v.Options, tt.opts) {
					t.Fatalf("options %v, want %v", v.Options, tt.opts)
				}
				return
			}
			if want := "create " + name + ": " + tt.wantErr; err == nil || err.Error() != want || !errdefs.IsInvalidParameter(err) {
				t.Fatalf("err = %v, want %q (InvalidParameter)", err, want)
			}
			if _, err := os.Stat(filepath.Join(s.root, name)); !os.IsNotExist(err) {
				t.Fatalf("failed create left %s: %v", name, err)
			}
			if _, err := s.Get(name); !errdefs.IsNotFound(err) {
				t.Fatalf("failed create left a record: %v", err)
			}
		})
	}
}

func TestCreateExistingAndDriver(t *testing.T) {
	s, _ := newTestService(t)
	first := mustCreate(t, s, "data", nil, map[string]string{"a": "1"})
	// Docker returns the existing volume and ignores the new labels/options.
	again, err := s.Create(context.Background(), "data", "local", map[string]string{"bogus": "x"}, map[string]string{"b": "2"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(first, again) {
		t.Fatalf("existing volume changed: %+v vs %+v", first, again)
	}
	_, err = s.Create(context.Background(), "data", "flocker", nil, nil)
	if err == nil || !errdefs.IsNotFound(err) || err.Error() != `create data: error looking up volume plugin flocker: plugin "flocker" not found` {
		t.Fatalf("other driver: %v", err)
	}
}

func TestCreateAnonymousAndLayout(t *testing.T) {
	s, _ := newTestService(t)
	v := mustCreate(t, s, "", nil, map[string]string{"x": "y"})
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(v.Name) {
		t.Fatalf("anonymous name %q", v.Name)
	}
	if !v.Anonymous || !reflect.DeepEqual(v.Labels, map[string]string{"x": "y", AnonymousLabel: ""}) {
		t.Fatalf("anonymous volume %+v", v)
	}
	for path, want := range map[string]os.FileMode{
		s.root:                          0o701,
		filepath.Join(s.root, v.Name):   0o701,
		filepath.Join(v.Mountpoint, ""): 0o755,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want || !fi.IsDir() {
			t.Errorf("%s: mode %v, want dir %v", path, fi.Mode(), want)
		}
	}
	named := mustCreate(t, s, "named", nil, nil)
	if named.Anonymous || named.Labels != nil || named.Options != nil {
		t.Fatalf("named volume without labels/options should keep them nil (API null): %+v", named)
	}
	empty := mustCreate(t, s, "empty", map[string]string{}, map[string]string{})
	if empty.Labels == nil || empty.Options == nil {
		t.Fatalf("empty maps must stay empty maps (API {}): %+v", empty)
	}
}

func TestPersistence(t *testing.T) {
	s, reopen := newTestService(t)
	v := mustCreate(t, s, "keep", map[string]string{}, map[string]string{"a": "1"})
	anon := mustCreate(t, s, "", nil, nil)
	if err := os.WriteFile(filepath.Join(v.Mountpoint, "f"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.AddRef("keep", "c1"); err != nil {
		t.Fatal(err)
	}
	s2 := reopen()
	got, err := s2.Get("keep")
	if err != nil {
		t.Fatal(err)
	}
	if !got.CreatedAt.Equal(v.CreatedAt) || !reflect.DeepEqual(got.Labels, v.Labels) || got.Options == nil || got.Mountpoint != v.Mountpoint {
		t.Fatalf("after restart %+v, want %+v", got, v)
	}
	if a, err := s2.Get(anon.Name); err != nil || !a.Anonymous {
		t.Fatalf("anonymous after restart: %+v %v", a, err)
	}
	if b, _ := os.ReadFile(filepath.Join(got.Mountpoint, "f")); string(b) != "hello" {
		t.Fatalf("data lost: %q", b)
	}
	// References are in memory only; the lifecycle re-adds them.
	if refs := s2.Refs("keep"); len(refs) != 0 {
		t.Fatalf("refs survived restart: %v", refs)
	}
}

func TestLoadReconciles(t *testing.T) {
	s, reopen := newTestService(t)
	mustCreate(t, s, "gone", nil, map[string]string{"a": "1"})
	mustCreate(t, s, "kept", nil, nil)
	// A missing directory (say its filesystem is not mounted yet) hides
	// the volume without forgetting it.
	if err := os.Rename(filepath.Join(s.root, "gone"), filepath.Join(t.TempDir(), "away")); err != nil {
		t.Fatal(err)
	}
	// A directory without a record (crash after the rename) is adopted;
	// temporary leftovers are cleaned.
	if err := os.MkdirAll(filepath.Join(s.root, "orphan", "_data"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, leftover := range []string{".create-123/_data", ".create-456", ".remove-789/old/_data/file"} {
		if err := os.MkdirAll(filepath.Join(s.root, leftover), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s2 := reopen()
	list, err := s2.List(filters.NewArgs())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range list {
		names = append(names, v.Name)
	}
	if want := []string{"kept", "orphan"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("after reconcile %v, want %v", names, want)
	}
	for _, leftover := range []string{".create-123", ".create-456", ".remove-789"} {
		if _, err := os.Stat(filepath.Join(s.root, leftover)); !os.IsNotExist(err) {
			t.Fatalf("leftover %s not removed: %v", leftover, err)
		}
	}
	if err := os.MkdirAll(filepath.Join(s.root, "gone", "_data"), 0o755); err != nil {
		t.Fatal(err)
	}
	s3 := reopen()
	if v, err := s3.Get("gone"); err != nil || v.Labels["a"] != "1" {
		t.Fatalf("volume back with its directory: %+v %v", v, err)
	}
}

func TestRemove(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t)
	v := mustCreate(t, s, "data", nil, nil)
	if err := os.WriteFile(filepath.Join(v.Mountpoint, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"bbb", "aaa"} {
		if err := s.AddRef("data", id); err != nil {
			t.Fatal(err)
		}
	}
	for _, force := range []bool{false, true} {
		err := s.Remove(ctx, "data", force)
		if !errdefs.IsConflict(err) || err.Error() != "remove data: volume is in use - [aaa, bbb]" {
			t.Fatalf("force=%v: remove in use: %v", force, err)
		}
	}
	s.RemoveRef("data", "aaa")
	s.RemoveRef("data", "bbb")
	s.RemoveRef("data", "bbb") // twice is harmless
	if err := s.Remove(ctx, "data", false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.root, "data")); !os.IsNotExist(err) {
		t.Fatalf("directory survived remove: %v", err)
	}
	if entries, _ := os.ReadDir(s.root); len(entries) != 0 {
		t.Fatalf("root not empty after remove: %v", entries)
	}
	err := s.Remove(ctx, "data", false)
	if !errdefs.IsNotFound(err) || err.Error() != "get data: no such volume" {
		t.Fatalf("remove missing: %v", err)
	}
	if err := s.Remove(ctx, "data", true); err != nil {
		t.Fatalf("force remove of a missing volume must succeed: %v", err)
	}
	if err := s.AddRef("nope", "c"); !errdefs.IsNotFound(err) {
		t.Fatalf("AddRef on missing volume: %v", err)
	}
	// The name is free again.
	mustCreate(t, s, "data", nil, nil)
}

func TestSize(t *testing.T) {
	s, _ := newTestService(t)
	v := mustCreate(t, s, "sz", nil, nil)
	if n, err := s.Size("sz"); err != nil || n != 0 {
		t.Fatalf("empty size %d %v", n, err)
	}
	p := func(rel string) string { return filepath.Join(v.Mountpoint, rel) }
	if err := os.MkdirAll(p("d/e"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p("a"), make([]byte, 100), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p("d/e/b"), make([]byte, 50), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(p("a"), p("d/hard")); err != nil { // counted once
		t.Fatal(err)
	}
	if n, err := s.Size("sz"); err != nil || n != 150 {
		t.Fatalf("size %d %v, want 150", n, err)
	}
	if _, err := s.Size("missing"); !errdefs.IsNotFound(err) {
		t.Fatalf("size of missing: %v", err)
	}
}

func TestMountPlainAndRefs(t *testing.T) {
	s, _ := newTestService(t)
	v := mustCreate(t, s, "plain", nil, nil)
	p, err := s.Mount("plain", "c1")
	if err != nil || p != v.Mountpoint {
		t.Fatalf("mount plain: %q %v", p, err)
	}
	if err := s.Unmount("plain", "c1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Mount("nope", "c1"); !errdefs.IsNotFound(err) {
		t.Fatalf("mount missing: %v", err)
	}
	_ = s.AddRef("plain", "c2")
	_ = s.AddRef("plain", "c1")
	if got := s.Refs("plain"); !reflect.DeepEqual(got, []string{"c1", "c2"}) {
		t.Fatalf("refs %v", got)
	}
}

// TestConcurrentCreate: racing creates of one name make one volume, and
// racing removes delete it once (run with -race).
func TestConcurrentCreate(t *testing.T) {
	s, _ := newTestService(t)
	ctx := context.Background()
	const n = 8
	got := make(chan *Volume, n)
	errs := make(chan error, n)
	for range n {
		go func() {
			v, err := s.Create(ctx, "shared", "", nil, nil)
			got <- v
			errs <- err
		}()
	}
	var first *Volume
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		v := <-got
		if first == nil {
			first = v
		} else if !v.CreatedAt.Equal(first.CreatedAt) {
			t.Fatal("two different volumes created for one name")
		}
	}
	removed := make(chan error, n)
	for range n {
		go func() { removed <- s.Remove(ctx, "shared", false) }()
	}
	ok := 0
	for range n {
		err := <-removed
		switch {
		case err == nil:
			ok++
		case !errdefs.IsNotFound(err):
			t.Fatal(err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d removes succeeded, want 1", ok)
	}
	if entries, _ := os.ReadDir(s.root); len(entries) != 0 {
		t.Fatalf("root not empty: %v", entries)
	}
}
