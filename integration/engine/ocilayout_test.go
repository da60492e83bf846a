package engine

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

type ociBlob struct {
	mediaType string
	data      []byte
}

func (b ociBlob) digest() string {
	sum := sha256.Sum256(b.data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func (b ociBlob) desc(extra map[string]any) map[string]any {
	m := map[string]any{"mediaType": b.mediaType, "digest": b.digest(), "size": len(b.data)}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func sha(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeOCILayout writes an OCI image layout archive by hand: the busybox
// rootfs as a gzip layer, a plain layer with a marker file, a config, a
// manifest, and index.json naming it twice (containerd's name annotation
// and the OCI ref name annotation). It returns the image ID (the
// config's digest).
func writeOCILayout(t *testing.T, path, busyboxTar, name1, name2 string) string {
	t.Helper()
	rootfs, err := os.ReadFile(busyboxTar)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(rootfs)
	_ = zw.Close()
	var marker bytes.Buffer
	tw := tar.NewWriter(&marker)
	content := []byte("from oci layout\n")
	_ = tw.WriteHeader(&tar.Header{Name: "etc/oci-marker", Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg})
	_, _ = tw.Write(content)
	_ = tw.Close()

	layer1 := ociBlob{"application/vnd.oci.image.layer.v1.tar+gzip", gz.Bytes()}
	layer2 := ociBlob{"application/vnd.oci.image.layer.v1.tar", marker.Bytes()}
	config := ociBlob{"application/vnd.oci.image.config.v1+json", mustJSON(t, map[string]any{
		"architecture": runtime.GOARCH,
		"os":           "linux",
		"created":      "2024-01-01T00:00:00Z",
		"config":       map[string]any{"Cmd": []string{"cat", "/etc/oci-marker"}, "Env": []string{"FROM_OCI=yes"}},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{sha(rootfs), sha(marker.Bytes())}},
		"history":      []map[string]any{{"created_by": "busybox rootfs"}, {"created_by": "marker"}},
	})}
	manifest := ociBlob{"application/vnd.oci.image.manifest.v1+json", mustJSON(t, map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        config.desc(nil),
		"layers":        []any{layer1.desc(nil), layer2.desc(nil)},
	})}
	index := mustJSON(t, map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.index.v1+json",
		"manifests": []any{
			manifest.desc(map[string]any{"annotations": map[string]string{"io.containerd.image.name": name1, "org.opencontainers.image.ref.name": "1"}}),
			manifest.desc(map[string]any{"annotations": map[string]string{"org.opencontainers.image.ref.name": name2}}),
		},
	})

	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := tar.NewWriter(f)
	add := func(name string, data []byte) {
		if err := out.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := out.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	add("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`))
	add("index.json", index)
	for _, b := range []ociBlob{layer1, layer2, config, manifest} {
		add("blobs/sha256/"+strings.TrimPrefix(b.digest(), "sha256:"), b.data)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return config.digest()
}

// tarNames lists the entries of a tar file.
func tarNames(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var data []byte
		if strings.HasSuffix(h.Name, ".json") {
			data, _ = io.ReadAll(tr)
		}
		out[h.Name] = data
	}
}

func TestLoadOCILayout(t *testing.T) {
	d := daemon(t)
	for name, run := range clis(t, d) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			ref1, ref2 := "oci-it/bb:"+name, "oci-it/named:"+name
			archive := filepath.Join(dir, "oci.tar")
			id := writeOCILayout(t, archive, filepath.Join(d.Root, "busybox.tar"), ref1, ref2)
			defer run("rmi", "-f", ref1, ref2)

			out, err := run("load", "-i", archive)
			if err != nil || !strings.Contains(out, "Loaded image: "+ref1) || !strings.Contains(out, "Loaded image: "+ref2) {
				t.Fatalf("load OCI layout: %v %q", err, out)
			}
			for _, ref := range []string{ref1, ref2} {
				got, _ := run("image", "inspect", "-f", "{{.Id}}", ref)
				if strings.TrimSpace(got) != id {
					t.Errorf("%s: ID %q, want the config digest %s", ref, got, id)
				}
			}
			out, err = run("run", "--rm", ref1)
			if err != nil || out != "from oci layout\n" {
				t.Errorf("run loaded image: %v %q", err, out)
			}
			out, err = run("run", "--rm", ref2, "sh", "-c", "echo $FROM_OCI; busybox true && echo ok")
			if err != nil || out != "yes\nok\n" {
				t.Errorf("run loaded image (env, busybox layer): %v %q", err, out)
			}

			// save writes a docker-archive (manifest.json) that loads back
			// to the same image.
			saved := filepath.Join(dir, "saved.tar")
			must(t, run, "save", "-o", saved, ref1)
			entries := tarNames(t, saved)
			var mf []struct {
				Config   string
				RepoTags []string
				Layers   []string
			}
			if err := json.Unmarshal(entries["manifest.json"], &mf); err != nil || len(mf) != 1 {
				t.Fatalf("saved archive manifest.json: %v %q", err, entries["manifest.json"])
			}
			if len(mf[0].Layers) != 2 || len(mf[0].RepoTags) != 1 || mf[0].RepoTags[0] != ref1 {
				t.Errorf("saved manifest.json: %+v", mf[0])
			}
			if _, ok := entries[mf[0].Config]; !ok {
				t.Errorf("saved archive lacks its config %s", mf[0].Config)
			}
			must(t, run, "rmi", ref1, ref2)
			out, err = run("load", "-i", saved)
			if err != nil || !strings.Contains(out, "Loaded image: "+ref1) {
				t.Fatalf("load saved archive: %v %q", err, out)
			}
			got, _ := run("image", "inspect", "-f", "{{.Id}}", ref1)
			if strings.TrimSpace(got) != id {
				t.Errorf("round trip changed the ID: %q, want %s", got, id)
			}
			out, err = run("run", "--rm", ref1)
			if err != nil || out != "from oci layout\n" {
				t.Errorf("run reloaded image: %v %q", err, out)
			}
		})
	}
}
