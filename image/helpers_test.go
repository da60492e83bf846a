package image

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/layer"
	digest "github.com/opencontainers/go-digest"
	bolt "go.etcd.io/bbolt"
)

// memLayers is an in-memory layerStore: content addressed like the real
// one, so the image logic can be tested without root.
type memLayers struct {
	mu     sync.Mutex
	layers map[digest.Digest]*memLayer
}

type memLayer struct {
	info layer.Info
	tar  []byte
}

func newMemLayers() *memLayers { return &memLayers{layers: map[digest.Digest]*memLayer{}} }

func (m *memLayers) Register(r io.Reader, parent digest.Digest) (layer.Info, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return layer.Info{}, err
	}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		_, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return layer.Info{}, errdefs.InvalidParameter("bad layer tar: %v", err)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	diffID := digest.FromBytes(data)
	chain := diffID
	if parent != "" {
		if m.layers[parent] == nil {
			return layer.Info{}, errdefs.NotFound("layer %s not found", parent)
		}
		chain = digest.FromString(parent.String() + " " + diffID.String())
	}
	if l := m.layers[chain]; l != nil {
		return l.info, nil
	}
	info := layer.Info{ChainID: chain, DiffID: diffID, Parent: parent, Size: int64(len(data))}
	m.layers[chain] = &memLayer{info: info, tar: data}
	return info, nil
}

func (m *memLayers) Get(chain digest.Digest) (layer.Info, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l := m.layers[chain]; l != nil {
		return l.info, nil
	}
	return layer.Info{}, errdefs.NotFound("layer %s not found", chain)
}

func (m *memLayers) Delete(chain digest.Digest) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.layers[chain] == nil {
		return errdefs.NotFound("layer %s not found", chain)
	}
	for _, l := range m.layers {
		if l.info.Parent == chain {
			return errdefs.Conflict("layer %s has children", chain)
		}
	}
	delete(m.layers, chain)
	return nil
}

func (m *memLayers) TarStream(chain digest.Digest) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l := m.layers[chain]; l != nil {
		return io.NopCloser(bytes.NewReader(l.tar)), nil
	}
	return nil, errdefs.NotFound("layer %s not found", chain)
}

func (m *memLayers) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.layers)
}

// testEnv is a service plus the knobs tests turn.
type testEnv struct {
	*Service
	users  map[digest.Digest][]string
	events []string
	// fresh makes another, empty environment with the same kind of layer
	// store (for load-into-a-second-daemon tests).
	fresh func() *testEnv
}

func newTestEnv(t *testing.T, ls layerStore) *testEnv {
	t.Helper()
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, "berth.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	env := &testEnv{users: map[digest.Digest][]string{}}
	s, err := newService(Options{
		Root:            filepath.Join(dir, "image"),
		DB:              db,
		ContainersUsing: func(id digest.Digest) []string { return env.users[id] },
		Events: func(action, id string, attrs map[string]string) {
			env.events = append(env.events, action+" "+attrs["name"])
		},
	}, ls)
	if err != nil {
		t.Fatal(err)
	}
	env.Service = s
	return env
}

// forEachBackend runs fn with the in-memory layer store and, as root and
// once package layer is implemented, with the real overlay layer store.
func forEachBackend(t *testing.T, fn func(t *testing.T, env *testEnv)) {
	t.Run("mem", func(t *testing.T) {
		mk := func() *testEnv { return newTestEnv(t, newMemLayers()) }
		env := mk()
		env.fresh = mk
		fn(t, env)
	})
	t.Run("layer", func(t *testing.T) {
		if os.Getuid() != 0 {
			t.Skip("needs root: layer.Store.Register chowns and mknods")
		}
		mk := func() *testEnv {
			ls, err := layer.New(filepath.Join(t.TempDir(), "layers"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ls.Get(digest.FromString("probe")); errdefs.IsNotImplemented(err) {
				t.Skip("package layer is not implemented yet")
			}
			return newTestEnv(t, ls)
		}
		env := mk()
		env.fresh = mk
		fn(t, env)
	})
}

type tarEntry struct {
	name, body, link string
	typ              byte
	mode             int64
}

// makeTar builds a layer tar.
func makeTar(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Linkname: e.link, Size: int64(len(e.body))}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
			if h.Typeflag == tar.TypeDir {
				h.Mode = 0o755
			}
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	return buf.Bytes()
}

// busyboxTar builds a small busybox rootfs from the host's static
// busybox (Debian busybox-static), or a stand-in file without it.
func busyboxTar(t testing.TB) []byte {
	t.Helper()
	body := "#!/bin/sh\necho stand-in busybox\n"
	if data, err := os.ReadFile("/bin/busybox"); err == nil {
		body = string(data)
	}
	return makeTar(t,
		tarEntry{name: "bin/", typ: tar.TypeDir},
		tarEntry{name: "bin/busybox", body: body, mode: 0o755},
		tarEntry{name: "bin/sh", typ: tar.TypeSymlink, link: "busybox"},
		tarEntry{name: "bin/echo", typ: tar.TypeSymlink, link: "busybox"},
		tarEntry{name: "etc/", typ: tar.TypeDir},
		tarEntry{name: "etc/passwd", body: "root:x:0:0:root:/root:/bin/sh\n"},
		tarEntry{name: "tmp/", typ: tar.TypeDir, mode: 0o1777},
	)
}
