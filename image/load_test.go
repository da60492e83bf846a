package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/berth-project/berth/internal/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

type archFile struct {
	name string
	data []byte
}

func makeArchive(t *testing.T, files ...archFile) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(f.data)
	}
	tw.Close()
	return buf.Bytes()
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gz(t *testing.T, data []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}

// configFor returns a minimal config for the given layer tars.
func configFor(t *testing.T, layers ...[]byte) []byte {
	cfg := imageConfig{}
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.RootFS.Type = "layers"
	for _, l := range layers {
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, digest.FromBytes(l))
		cfg.History = append(cfg.History, ocispec.History{CreatedBy: "test"})
	}
	return mustJSON(t, cfg)
}

func tarNames(t *testing.T, data []byte) []string {
	var names []string
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
}

func load(t *testing.T, env *testEnv, data []byte) (string, error) {
	var out bytes.Buffer
	err := env.LoadImage(ctx, bytes.NewReader(data), &out, false)
	return out.String(), err
}

func TestSaveLoadRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		base := importTar(t, env, busyboxTar(t), "busybox", "")
		child, err := env.Commit(ctx, CommitRequest{Parent: base, LayerTar: bytes.NewReader(makeTar(t, tarEntry{name: "hello", body: "hi"})), Repo: "app", Tag: "v1", CreatedBy: "touch hello"})
		if err != nil {
			t.Fatal(err)
		}
		var saved bytes.Buffer
		if err := env.ExportImage(ctx, []string{"app:v1", "busybox"}, &saved); err != nil {
			t.Fatal(err)
		}
		names := tarNames(t, saved.Bytes())
		for _, want := range []string{"blobs/", "blobs/sha256/", "blobs/sha256/" + child.Encoded(), "index.json", "manifest.json", "oci-layout", "repositories"} {
			if !slices.Contains(names, want) {
				t.Errorf("save archive lacks %s: %v", want, names)
			}
		}
		if !slices.Contains(env.events, "save "+child.String()) {
			t.Errorf("no save event: %v", env.events)
		}
		other := env.fresh()
		out, err := load(t, other, saved.Bytes())
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		if !strings.Contains(out, `{"stream":"Loaded image: app:v1\n"}`) || !strings.Contains(out, `{"stream":"Loaded image: busybox:latest\n"}`) {
			t.Errorf("load output: %s", out)
		}
		for ref, id := range map[string]digest.Digest{"app:v1": child, "busybox": base} {
			img, err := other.Resolve(ref)
			if err != nil || img.ID != id {
				t.Errorf("after load %s = %v %v, want %s", ref, img, err, id)
			}
		}
		h1, _ := env.ImageHistory(ctx, "app:v1")
		h2, _ := other.ImageHistory(ctx, "app:v1")
		if len(h1) != 2 || len(h2) != 2 || h1[0].Size != h2[0].Size || h2[0].CreatedBy != "touch hello" {
			t.Errorf("history differs: %+v vs %+v", h1, h2)
		}
		// Saved by ID: untagged.
		saved.Reset()
		if err := env.ExportImage(ctx, []string{base.Encoded()[:12]}, &saved); err != nil {
			t.Fatal(err)
		}
		third := env.fresh()
		out, err = load(t, third, saved.Bytes())
		if err != nil || !strings.Contains(out, "Loaded image ID: "+base.String()) {
			t.Errorf("load by ID: %s %v", out, err)
		}
		// Loading again over a moved tag reports the rename.
		if err := other.ImageTag(ctx, "app:v1", "busybox", "latest"); err != nil {
			t.Fatal(err)
		}
		saved.Reset()
		env.ExportImage(ctx, []string{"busybox:latest"}, &saved)
		out, err = load(t, other, saved.Bytes())
		if err != nil || !strings.Contains(out, "The image busybox:latest already exists, renaming the old one with ID "+child.String()+" to empty string") {
			t.Errorf("reload: %s %v", out, err)
		}
	})
}

func TestLoadFormats(t *testing.T) {
	l1 := makeTar(t, tarEntry{name: "one", body: "1"})
	l2 := makeTar(t, tarEntry{name: "two", body: "2"})
	cfg := configFor(t, l1, l2)
	cfgD := digest.FromBytes(cfg)
	legacy := makeArchive(t,
		archFile{"aaa/layer.tar", gz(t, l1)},
		archFile{"bbb/layer.tar", l2},
		archFile{cfgD.Encoded() + ".json", cfg},
		archFile{"manifest.json", mustJSON(t, []archiveManifest{{Config: cfgD.Encoded() + ".json", RepoTags: []string{"legacy:1"}, Layers: []string{"aaa/layer.tar", "bbb/layer.tar"}}})},
	)
	gzL1 := gz(t, l1)
	mf := mustJSON(t, ocispec.Manifest{
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: cfgD, Size: int64(len(cfg))},
		Layers: []ocispec.Descriptor{
			{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: digest.FromBytes(gzL1), Size: int64(len(gzL1))},
			{MediaType: ocispec.MediaTypeImageLayer, Digest: digest.FromBytes(l2), Size: int64(len(l2))},
		},
	})
	idx := mustJSON(t, ocispec.Index{Manifests: []ocispec.Descriptor{{
		MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromBytes(mf), Size: int64(len(mf)),
		Annotations: map[string]string{annotationImageName: "docker.io/library/oci:1", annotationRefName: "1"},
	}}})
	blob := func(b []byte) archFile { return archFile{"blobs/sha256/" + digest.FromBytes(b).Encoded(), b} }
	oci := makeArchive(t, blob(gzL1), blob(l2), blob(cfg), blob(mf), archFile{"index.json", idx}, archFile{"oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)})
	for _, tc := range []struct {
		name, data, ref string
		archive         []byte
	}{
		{"legacy gzip layers", "", "legacy:1", legacy},
		{"oci layout", "", "oci:1", oci},
		{"gzipped archive", "", "oci:1", gz(t, oci)},
	} {
		env := newTestEnv(t, newMemLayers())
		out, err := load(t, env, tc.archive)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		img, err := env.Resolve(tc.ref)
		if err != nil || img.ID != cfgD || !strings.Contains(out, "Loaded image: "+tc.ref) || !strings.Contains(out, `"status":"Loading layer"`) {
			t.Errorf("%s: %v %v\n%s", tc.name, img, err, out)
		}
	}
}

func TestLoadHostile(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *testEnv) { testLoadHostile(t, env.fresh) })
}

func testLoadHostile(t *testing.T, fresh func() *testEnv) {
	l1 := makeTar(t, tarEntry{name: "one", body: "1"})
	cfg := configFor(t, l1)
	cfgD := digest.FromBytes(cfg)
	badCfg := configFor(t, makeTar(t, tarEntry{name: "other"}))
	manifest := func(config string, layers ...string) archFile {
		return archFile{"manifest.json", mustJSON(t, []archiveManifest{{Config: config, RepoTags: []string{"evil:1"}, Layers: layers}})}
	}
	defer func() {
		if _, err := os.Stat("/tmp/berth-image-evil"); err == nil {
			t.Error("archive entry escaped the spool directory")
			os.Remove("/tmp/berth-image-evil")
		}
	}()
	for _, tc := range []struct {
		name    string
		archive []byte
		want    string
	}{
		{"dotdot config", makeArchive(t, archFile{"l.tar", l1}, manifest("../../etc/passwd", "l.tar")), "outside of the archive"},
		{"dotdot layer", makeArchive(t, archFile{"c.json", cfg}, manifest("c.json", "../l.tar")), "outside of the archive"},
		{"absolute layer", makeArchive(t, archFile{"c.json", cfg}, manifest("c.json", "/etc/passwd")), "outside of the archive"},
		{"diffID mismatch", makeArchive(t, archFile{"l.tar", l1}, archFile{"c.json", badCfg}, manifest("c.json", "l.tar")), "invalid diffID for layer 0"},
		{"layer count", makeArchive(t, archFile{"l.tar", l1}, archFile{"c.json", cfg}, manifest("c.json", "l.tar", "l.tar")), "layers length mismatch"},
		{"missing layer", makeArchive(t, archFile{"c.json", cfg}, manifest("c.json", "nope.tar")), "not found"},
		{"bad manifest json", makeArchive(t, archFile{"manifest.json", []byte("[{")}), "manifest.json"},
		{"bad config json", makeArchive(t, archFile{"l.tar", l1}, archFile{"c.json", []byte("{")}, manifest("c.json", "l.tar")), "invalid image config"},
		{"bad tag", makeArchive(t, archFile{"l.tar", l1}, archFile{"c.json", cfg}, archFile{"manifest.json", mustJSON(t, []archiveManifest{{Config: "c.json", RepoTags: []string{"UPPER:1"}, Layers: []string{"l.tar"}}})}), "invalid tag"},
		{"blob digest mismatch", makeArchive(t, archFile{"blobs/sha256/" + cfgD.Encoded(), []byte("tampered")}), "content digest"},
		{"missing blob", makeArchive(t, archFile{"index.json", mustJSON(t, ocispec.Index{Manifests: []ocispec.Descriptor{{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromString("x")}}})}), "missing blob"},
		{"no manifest", makeArchive(t, archFile{"hello", []byte("x")}), "no manifest.json or index.json"},
		{"dotdot entry name", makeArchive(t, archFile{"../../../../tmp/berth-image-evil", []byte("x")}), "no manifest.json or index.json"},
		{"not a tar", []byte(strings.Repeat("garbage!", 200)), "invalid archive"},
		{"bad layer tar", makeArchive(t, archFile{"l.tar", []byte(strings.Repeat("x", 1024))}, archFile{"c.json", configFor(t, []byte(strings.Repeat("x", 1024)))}, manifest("c.json", "l.tar")), "layer 0"},
	} {
		env := fresh()
		_, err := load(t, env, tc.archive)
		if !errdefs.IsInvalidParameter(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want 400 containing %q", tc.name, err, tc.want)
		}
		if mem, ok := env.layers.(*memLayers); ok && mem.count() != 0 {
			t.Errorf("%s: %d layers left behind", tc.name, mem.count())
		}
		if _, err := env.layers.Get(digest.FromBytes(l1)); !errdefs.IsNotFound(err) {
			t.Errorf("%s: layer left behind: %v", tc.name, err)
		}
		if recs, _ := env.records(); len(recs) != 0 {
			t.Errorf("%s: %d images recorded", tc.name, len(recs))
		}
	}
}

func TestLoadRollbackKeepsExistingLayers(t *testing.T) {
	mem := newMemLayers()
	env := newTestEnv(t, mem)
	l1 := makeTar(t, tarEntry{name: "one", body: "1"})
	importTar(t, env, l1, "keep", "")
	l2 := makeTar(t, tarEntry{name: "two"})
	bad := configFor(t, l1, makeTar(t, tarEntry{name: "other"}))
	arch := makeArchive(t, archFile{"a.tar", l1}, archFile{"b.tar", l2}, archFile{"c.json", bad},
		archFile{"manifest.json", mustJSON(t, []archiveManifest{{Config: "c.json", Layers: []string{"a.tar", "b.tar"}}})})
	if _, err := load(t, env, arch); err == nil {
		t.Fatal("load succeeded")
	}
	if n := mem.count(); n != 1 {
		t.Errorf("layers: %d, want the imported one only", n)
	}
	if _, err := env.Resolve("keep"); err != nil {
		t.Error(err)
	}
}
