package image

import (
	"io"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
)

// What package distribution needs of the store to pull and push: layers
// registered one by one as they stream in, then the image recorded with
// its tag and repository digest; and for push, an image's config and
// layer tars.

// HasLayer reports whether the layer of a chain ID is stored.
func (s *Service) HasLayer(chain digest.Digest) bool {
	_, err := s.layers.Get(chain)
	return err == nil
}

// LayerSize is the size of a stored layer; false when it is missing.
func (s *Service) LayerSize(chain digest.Digest) (int64, bool) {
	info, err := s.layers.Get(chain)
	return info.Size, err == nil
}

// RegisterLayer applies an uncompressed layer tar on parent and checks its
// diffID. A layer that was not there before and fails the check is
// removed again. It returns the layer's chain ID, whether it is new (no
// image stands on it: the caller drops it if the pull fails) and the tar
// size.
func (s *Service) RegisterLayer(tar io.Reader, parent, wantDiffID digest.Digest) (chain digest.Digest, isNew bool, size int64, err error) {
	info, size, isNew, err := s.registerLayer(tar, parent)
	if err != nil {
		return "", false, 0, err
	}
	if info.DiffID != wantDiffID {
		if isNew {
			s.layers.Delete(info.ChainID)
		}
		return "", false, 0, errdefs.InvalidParameter("layer diffID mismatch: the image config says %s, the layer is %s", wantDiffID, info.DiffID)
	}
	return info.ChainID, isNew, size, nil
}

// DropLayers removes layers a failed pull registered, unless an image
// uses them meanwhile.
func (s *Service) DropLayers(chains []digest.Digest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropLayers(chains)
}

// StorePulled records a pulled image (its layers already registered) and
// points ref (a tag, may be nil) and canonical (repo@manifest-digest, may
// be nil) at it. It returns the image ID and the image the tag named
// before ("" if none or the same).
func (s *Service) StorePulled(config []byte, layerSizes []int64, ref reference.Named, canonical reference.Canonical) (id, old digest.Digest, err error) {
	cfg, err := parseConfig(config)
	if err != nil {
		return "", "", err
	}
	diffIDs := cfg.diffIDs()
	if len(diffIDs) != len(layerSizes) {
		return "", "", errdefs.InvalidParameter("image config lists %d layers, the manifest %d", len(diffIDs), len(layerSizes))
	}
	if len(diffIDs) > 0 && !s.HasLayer(identity.ChainID(append([]digest.Digest(nil), diffIDs...))) {
		return "", "", errdefs.NotFound("layers of image %s are missing", digest.FromBytes(config))
	}
	layers := make([]layerDesc, len(diffIDs))
	for i, d := range diffIDs {
		layers[i] = layerDesc{DiffID: d, Size: layerSizes[i]}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, err = s.createImage(config, layers, "")
	if err != nil {
		return "", "", err
	}
	if canonical != nil {
		if _, err := s.setTag(id, canonical); err != nil {
			return "", "", err
		}
	}
	if ref != nil {
		if old, err = s.setTag(id, ref); err != nil {
			return "", "", err
		}
	}
	name := ""
	switch {
	case ref != nil:
		name = reference.FamiliarString(ref)
	case canonical != nil:
		name = reference.FamiliarString(canonical)
	}
	s.refEvent("pull", id, name)
	return id, old, nil
}

// refEvent is an event Docker names by reference rather than image ID
// (pull, push): Actor ID and the name attribute are the reference.
func (s *Service) refEvent(action string, id digest.Digest, name string) {
	if s.opts.Events == nil || name == "" {
		return
	}
	attrs := map[string]string{"name": name}
	if cfg, err := s.config(id); err == nil {
		for k, v := range cfg.Config.Labels {
			attrs[k] = v
		}
	}
	s.opts.Events(action, name, attrs)
}

// Pushed reports a finished push of ref (the "push" event).
func (s *Service) Pushed(id digest.Digest, ref reference.Named) {
	s.refEvent("push", id, reference.FamiliarString(ref))
}

// PushLayer is one layer of an image to push.
type PushLayer struct {
	DiffID digest.Digest
	Chain  digest.Digest
	Size   int64 // uncompressed tar bytes (0 when unknown)
}

// PushSource returns the config blob and layers of the image ref names.
func (s *Service) PushSource(ref string) (id digest.Digest, config []byte, layers []PushLayer, err error) {
	id, err = s.resolveID(ref)
	if err != nil {
		return "", nil, nil, err
	}
	config, err = s.getBlob(id)
	if err != nil {
		return "", nil, nil, err
	}
	cfg, err := parseConfig(config)
	if err != nil {
		return "", nil, nil, err
	}
	for i, c := range chainIDs(cfg.diffIDs()) {
		l := PushLayer{DiffID: cfg.diffIDs()[i], Chain: c}
		if info, err := s.layers.Get(c); err == nil {
			l.Size = info.Size
		}
		layers = append(layers, l)
	}
	return id, config, layers, nil
}

// LayerTar streams a stored layer as its uncompressed tar.
func (s *Service) LayerTar(chain digest.Digest) (io.ReadCloser, error) {
	return s.layers.TarStream(chain)
}

// AddReference points a repository digest (repo@sha256:...) at an image,
// as a push does for the manifest it wrote.
func (s *Service) AddReference(id digest.Digest, ref reference.Canonical) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.setTag(id, ref)
	return err
}

// TagsOf lists the tags stored for a repository, for push --all-tags.
func (s *Service) TagsOf(repo reference.Named) []reference.NamedTagged {
	m, err := s.refsByImage()
	if err != nil {
		return nil
	}
	var out []reference.NamedTagged
	for _, refs := range m {
		for _, r := range refs {
			named, err := reference.ParseNormalizedNamed(r)
			if err != nil || named.Name() != repo.Name() {
				continue
			}
			if t, ok := named.(reference.NamedTagged); ok {
				out = append(out, t)
			}
		}
	}
	return out
}
