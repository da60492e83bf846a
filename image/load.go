package image

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/layer/archive"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/jsonstream"
	digest "github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
)

// pendingImage is a verified image of an archive, not yet recorded.
type pendingImage struct {
	config []byte
	id     digest.Digest
	layers []layerDesc
	tags   []reference.Named
}

// loader carries the state of one LoadImage call.
type loader struct {
	s      *Service
	sp     *spool
	out    io.Writer
	quiet  bool
	ctx    context.Context
	newLay []digest.Digest // layers this load registered, for rollback
}

// LoadImage implements POST /images/load for docker-archive (manifest.json,
// also the legacy <id>/layer.tar layout) and OCI image layouts. Every
// layer's diffID and every blob digest is verified; records and tags are
// written only once the whole archive checked out, and layers registered
// by a failed load are removed again.
func (s *Service) LoadImage(ctx context.Context, in io.Reader, out io.Writer, quiet bool) error {
	rc, err := archive.DecompressStream(in)
	if err != nil {
		return errdefs.AsInvalidParameter(err)
	}
	defer rc.Close()
	dir, err := os.MkdirTemp(tmpDir(s.opts.Root), "load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	sp, err := newSpool(dir, rc)
	if err != nil {
		return err
	}
	l := &loader{s: s, sp: sp, out: out, quiet: quiet, ctx: ctx}
	var imgs []*pendingImage
	switch {
	case sp.has("manifest.json"):
		imgs, err = l.dockerArchive()
	case sp.has("index.json"):
		imgs, err = l.ociLayout()
	default:
		err = errdefs.InvalidParameter("invalid archive: no manifest.json or index.json found (not a docker save or OCI layout archive)")
	}
	if err != nil {
		s.dropLayers(l.newLay)
		return err
	}
	return l.commit(imgs)
}

// archiveManifest is one entry of a docker-archive manifest.json.
type archiveManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

func (l *loader) dockerArchive() ([]*pendingImage, error) {
	data, err := l.sp.read("manifest.json")
	if err != nil {
		return nil, err
	}
	var mfs []archiveManifest
	if err := json.Unmarshal(data, &mfs); err != nil {
		return nil, errdefs.InvalidParameter("invalid archive: manifest.json: %v", err)
	}
	var out []*pendingImage
	for _, m := range mfs {
		tags, err := parseRepoTags(m.RepoTags)
		if err != nil {
			return nil, err
		}
		cfg, err := l.sp.read(m.Config)
		if err != nil {
			return nil, err
		}
		var layers []spoolFile
		for _, p := range m.Layers {
			f, err := l.sp.lookup(p)
			if err != nil {
				return nil, err
			}
			layers = append(layers, f)
		}
		img, err := l.image(cfg, layers, tags)
		if err != nil {
			return nil, err
		}
		out = append(out, img)
	}
	return out, nil
}

func parseRepoTags(tags []string) ([]reference.Named, error) {
	var out []reference.Named
	for _, t := range tags {
		named, err := reference.ParseNormalizedNamed(t)
		if err != nil {
			return nil, errdefs.InvalidParameter("invalid archive: invalid tag %q: %v", t, err)
		}
		if _, ok := named.(reference.NamedTagged); !ok {
			return nil, errdefs.InvalidParameter("invalid tag %q", t)
		}
		out = append(out, named)
	}
	return out, nil
}

// image verifies a config against its layer files and registers the
// layers (those not present yet) in order.
func (l *loader) image(cfgJSON []byte, files []spoolFile, tags []reference.Named) (*pendingImage, error) {
	cfg, err := parseConfig(cfgJSON)
	if err != nil {
		return nil, err
	}
	diffIDs := cfg.diffIDs()
	if len(diffIDs) != len(files) {
		return nil, errdefs.InvalidParameter("invalid manifest, layers length mismatch: expected %d, got %d", len(diffIDs), len(files))
	}
	img := &pendingImage{config: cfgJSON, id: digest.FromBytes(cfgJSON), tags: tags}
	var parent digest.Digest
	for i, f := range files {
		if err := l.ctx.Err(); err != nil {
			return nil, err
		}
		chain := identity.ChainID(append([]digest.Digest(nil), diffIDs[:i+1]...))
		size, err := l.loadLayer(i, f, parent, chain, diffIDs[i])
		if err != nil {
			return nil, err
		}
		img.layers = append(img.layers, layerDesc{DiffID: diffIDs[i], Size: size})
		parent = chain
	}
	return img, nil
}

// loadLayer registers one layer file unless its chain is present already,
// returning the uncompressed tar size.
func (l *loader) loadLayer(i int, f spoolFile, parent, chain, want digest.Digest) (int64, error) {
	id := shortID(chain.Encoded())
	if _, err := l.s.layers.Get(chain); err == nil {
		if !l.quiet {
			writeMessage(l.out, jsonstream.Message{Status: "Loading layer", ID: id, Progress: &jsonstream.Progress{Current: f.size, Total: f.size}})
		}
		return f.size, nil
	}
	if !l.quiet {
		writeMessage(l.out, jsonstream.Message{Status: "Loading layer", ID: id, Progress: &jsonstream.Progress{Total: f.size}})
	}
	fh, err := os.Open(f.path)
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	rc, err := archive.DecompressStream(fh)
	if err != nil {
		return 0, errdefs.AsInvalidParameter(err)
	}
	defer rc.Close()
	info, size, isNew, err := l.s.registerLayer(rc, parent)
	if err != nil {
		return 0, errdefs.AsInvalidParameter(fmt.Errorf("invalid archive: layer %d: %w", i, err))
	}
	if isNew {
		l.newLay = append(l.newLay, info.ChainID)
	}
	if info.DiffID != want {
		return 0, errdefs.InvalidParameter("invalid diffID for layer %d: expected %q, got %q", i, want, info.DiffID)
	}
	if !l.quiet {
		writeMessage(l.out, jsonstream.Message{Status: "Loading layer", ID: id, Progress: &jsonstream.Progress{Current: f.size, Total: f.size}})
	}
	return size, nil
}

// commit records the verified images and their tags and reports them.
func (l *loader) commit(imgs []*pendingImage) error {
	s := l.s
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, img := range imgs {
		id, err := s.createImage(img.config, img.layers, "")
		if err != nil {
			s.dropLayers(l.newLay)
			return err
		}
		s.event("load", id, id.String())
		if len(img.tags) == 0 {
			writeMessage(l.out, jsonstream.Message{Stream: "Loaded image ID: " + id.String() + "\n"})
			continue
		}
		for _, t := range img.tags {
			old, err := s.setTag(id, t)
			if err != nil {
				return err
			}
			name := reference.FamiliarString(t)
			if old != "" {
				writeMessage(l.out, jsonstream.Message{Stream: fmt.Sprintf("The image %s already exists, renaming the old one with ID %s to empty string\n", name, old)})
			}
			writeMessage(l.out, jsonstream.Message{Stream: "Loaded image: " + name + "\n"})
		}
	}
	return nil
}
