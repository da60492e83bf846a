package image

import (
	"encoding/json"
	"io"
	"time"

	"github.com/berth-project/berth/layer"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	bolt "go.etcd.io/bbolt"
)

// layerDesc is a layer as it appears in a manifest: the uncompressed tar,
// so its digest is the diffID.
type layerDesc struct {
	DiffID digest.Digest
	Size   int64 // bytes of the uncompressed tar
}

// emptyLayerDiffID is the diffID of an empty tar (1024 zero bytes); Docker
// does not add such layers to the rootfs.
const emptyLayerDiffID = digest.Digest("sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef")

// countingReader counts bytes read, for manifest layer sizes.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// registerLayer registers an uncompressed tar on parent and reports
// whether the layer is new (no stored image stands on it), so that a
// failed operation knows what it may roll back.
func (s *Service) registerLayer(tar io.Reader, parent digest.Digest) (layer.Info, int64, bool, error) {
	cr := &countingReader{r: tar}
	info, err := s.layers.Register(cr, parent)
	if err != nil {
		return info, 0, false, err
	}
	// Drain what the layer store did not read (tar padding), so the size
	// is that of the whole stream.
	io.Copy(io.Discard, cr)
	return info, cr.n, !s.chainsInUse()[info.ChainID], nil
}

// dropLayers deletes layers newly registered by a failed operation,
// newest first.
func (s *Service) dropLayers(chains []digest.Digest) {
	used := s.chainsInUse()
	for i := len(chains) - 1; i >= 0; i-- {
		if !used[chains[i]] {
			s.layers.Delete(chains[i])
		}
	}
}

// createImage stores a config blob, a manifest for it and the image
// record. It returns the image ID (the config digest). Callers hold s.mu.
func (s *Service) createImage(cfgJSON []byte, layers []layerDesc, parent digest.Digest) (digest.Digest, error) {
	id, err := s.putBlob(cfgJSON)
	if err != nil {
		return "", err
	}
	mf := manifestFor(id, int64(len(cfgJSON)), layers)
	mfJSON, err := json.Marshal(mf)
	if err != nil {
		return "", err
	}
	mfDigest, err := s.putBlob(mfJSON)
	if err != nil {
		return "", err
	}
	err = s.opts.DB.Update(func(tx *bolt.Tx) error {
		if old, err := getRecordTx(tx, id); err == nil {
			// Same config again (e.g. a repeated load): keep its history.
			if old.Manifest == "" {
				old.Manifest = mfDigest
			}
			return putRecord(tx, old)
		}
		return putRecord(tx, &record{ID: id, Parent: parent, Manifest: mfDigest, Added: time.Now().UTC()})
	})
	return id, err
}

// manifestFor builds the OCI manifest Docker 25+ writes for a local image:
// uncompressed layers, so layer digests equal diffIDs.
func manifestFor(config digest.Digest, configSize int64, layers []layerDesc) ocispec.Manifest {
	mf := ocispec.Manifest{
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: config, Size: configSize},
		Layers:    []ocispec.Descriptor{},
	}
	mf.SchemaVersion = 2
	for _, l := range layers {
		mf.Layers = append(mf.Layers, ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: l.DiffID, Size: l.Size})
	}
	return mf
}

// manifest reads a stored manifest blob.
func (s *Service) manifest(d digest.Digest) (*ocispec.Manifest, error) {
	data, err := s.getBlob(d)
	if err != nil {
		return nil, err
	}
	var mf ocispec.Manifest
	if err := json.Unmarshal(data, &mf); err != nil {
		return nil, err
	}
	return &mf, nil
}
