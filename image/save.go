package image

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"sort"
	"time"

	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// saveImage is one image of a save request with the references to name.
type saveImage struct {
	id   digest.Digest
	refs []reference.Named // tagged references to include
}

// ExportImage implements GET /images/get (docker save) in Docker 25+'s
// format: an OCI layout (oci-layout, index.json, blobs/sha256) that also
// carries the docker-archive manifest.json and repositories files.
func (s *Service) ExportImage(ctx context.Context, names []string, out io.Writer) error {
	imgs, err := s.saveSet(names)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp(tmpDir(s.opts.Root), "save-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	blobs := map[digest.Digest]blobSource{}
	type entry struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	manifestJSON := []entry{}
	index := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{}}
	index.SchemaVersion = 2
	repos := map[string]map[string]string{}
	for _, img := range imgs {
		if err := ctx.Err(); err != nil {
			return err
		}
		cfgJSON, err := s.getBlob(img.id)
		if err != nil {
			return err
		}
		cfg, err := parseConfig(cfgJSON)
		if err != nil {
			return err
		}
		blobs[img.id] = blobSource{data: cfgJSON}
		var layers []layerDesc
		e := entry{Config: blobPathIn(img.id)}
		for _, ch := range chainIDs(cfg.diffIDs()) {
			f, err := s.spoolLayer(dir, ch)
			if err != nil {
				return err
			}
			blobs[f.digest] = blobSource{path: f.path, size: f.size}
			layers = append(layers, layerDesc{DiffID: f.digest, Size: f.size})
			e.Layers = append(e.Layers, blobPathIn(f.digest))
		}
		mfJSON, err := json.Marshal(manifestFor(img.id, int64(len(cfgJSON)), layers))
		if err != nil {
			return err
		}
		mfDigest := digest.FromBytes(mfJSON)
		blobs[mfDigest] = blobSource{data: mfJSON}
		desc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: mfDigest, Size: int64(len(mfJSON))}
		if len(img.refs) == 0 {
			index.Manifests = append(index.Manifests, desc)
		}
		for _, r := range img.refs {
			d := desc
			tag := ""
			if t, ok := r.(reference.Tagged); ok {
				tag = t.Tag()
			}
			d.Annotations = map[string]string{annotationImageName: r.String(), annotationRefName: tag}
			index.Manifests = append(index.Manifests, d)
			e.RepoTags = append(e.RepoTags, reference.FamiliarString(r))
			if len(e.Layers) > 0 {
				fam := reference.FamiliarName(r)
				if repos[fam] == nil {
					repos[fam] = map[string]string{}
				}
				repos[fam][tag] = layers[len(layers)-1].DiffID.Encoded()
			}
		}
		manifestJSON = append(manifestJSON, e)
	}
	tw := tar.NewWriter(out)
	if err := writeBlobs(tw, blobs); err != nil {
		return err
	}
	files := []struct {
		name string
		v    any
	}{{"index.json", index}, {"manifest.json", manifestJSON}, {"oci-layout", ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion}}}
	if len(repos) > 0 {
		files = append(files, struct {
			name string
			v    any
		}{"repositories", repos})
	}
	for _, f := range files {
		data, err := json.Marshal(f.v)
		if err != nil {
			return err
		}
		if err := writeTarFile(tw, f.name, data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	for _, img := range imgs {
		s.event("save", img.id, img.id.String())
	}
	return nil
}

// saveSet resolves the requested names. A bare repository name includes
// every tag of that repository (Docker's behaviour); IDs include the image
// without names.
func (s *Service) saveSet(names []string) ([]*saveImage, error) {
	var out []*saveImage
	byID := map[digest.Digest]*saveImage{}
	add := func(id digest.Digest, r reference.Named) {
		img := byID[id]
		if img == nil {
			img = &saveImage{id: id}
			byID[id] = img
			out = append(out, img)
		}
		if r != nil {
			for _, have := range img.refs {
				if have.String() == r.String() {
					return
				}
			}
			img.refs = append(img.refs, r)
		}
	}
	refs, err := s.refsByImage()
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if named, err := reference.ParseNormalizedNamed(name); err == nil && reference.IsNameOnly(named) {
			found := false
			var ids []digest.Digest
			for id := range refs {
				ids = append(ids, id)
			}
			sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
			for _, id := range ids {
				for _, r := range refs[id] {
					if !isDigestRef(r) && refName(r) == named.Name() {
						tagged, _ := reference.ParseNormalizedNamed(r)
						add(id, tagged)
						found = true
					}
				}
			}
			if found {
				continue
			}
		}
		id, err := s.resolveID(name)
		if err != nil {
			return nil, err
		}
		var r reference.Named
		if !isIDRef(id, name) {
			if named, err := reference.ParseNormalizedNamed(name); err == nil {
				if _, ok := named.(reference.NamedTagged); ok {
					r = named
				}
			}
		}
		add(id, r)
	}
	return out, nil
}

// blobSource is a blob to write: in memory or a spooled file.
type blobSource struct {
	data []byte
	path string
	size int64
}

func blobPathIn(d digest.Digest) string { return "blobs/sha256/" + d.Encoded() }

// spoolLayer copies a layer's tar to dir, computing its digest and size
// (tar headers need the size before the content).
func (s *Service) spoolLayer(dir string, chain digest.Digest) (spoolFile, error) {
	rc, err := s.layers.TarStream(chain)
	if err != nil {
		return spoolFile{}, err
	}
	defer rc.Close()
	f, err := os.CreateTemp(dir, "layer-")
	if err != nil {
		return spoolFile{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), rc)
	if err != nil {
		return spoolFile{}, err
	}
	return spoolFile{path: f.Name(), size: n, digest: digest.NewDigestFromEncoded(digest.SHA256, hex.EncodeToString(h.Sum(nil)))}, nil
}

// writeBlobs writes the blob directories and blobs in name order, as
// Docker's archiving of its export directory does.
func writeBlobs(tw *tar.Writer, blobs map[digest.Digest]blobSource) error {
	for _, d := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: 0o755, ModTime: epoch}); err != nil {
			return err
		}
	}
	keys := make([]digest.Digest, 0, len(blobs))
	for d := range blobs {
		keys = append(keys, d)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	for _, d := range keys {
		b := blobs[d]
		if b.path == "" {
			if err := writeTarFile(tw, blobPathIn(d), b.data); err != nil {
				return err
			}
			continue
		}
		if err := tw.WriteHeader(&tar.Header{Name: blobPathIn(d), Typeflag: tar.TypeReg, Mode: 0o644, Size: b.size, ModTime: epoch}); err != nil {
			return err
		}
		f, err := os.Open(b.path)
		if err != nil {
			return err
		}
		_, err = io.Copy(tw, f)
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

var epoch = time.Unix(0, 0)

func writeTarFile(tw *tar.Writer, name string, data []byte) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(data)), ModTime: epoch}); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}
