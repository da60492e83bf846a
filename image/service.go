// Package image is the image store: a content-addressed blob store
// (sha256-verified), image records and tags in bbolt, and the operations of
// the image API (list, inspect, tag, delete, load/save, import, commit,
// history, prune). Layers are delegated to package layer.
package image

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/berth-project/berth/layer"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/moby/api/types/container"
	digest "github.com/opencontainers/go-digest"
	bolt "go.etcd.io/bbolt"
)

// Image is a resolved local image.
type Image struct {
	ID       digest.Digest             // config digest ("sha256:...")
	Config   dockerspec.DockerOCIImage // parsed config blob
	ChainID  digest.Digest             // chain ID of the top layer ("" for no layers)
	RepoTags []string                  // familiar names, e.g. "busybox:latest"
}

// Options configure a Service.
type Options struct {
	Root   string   // <data-root>/image: blobs live under Root/blobs/sha256
	DB     *bolt.DB // shared daemon database; the service uses its own buckets
	Layers *layer.Store
	// ContainersUsing returns IDs of containers (any state) created from an
	// image ID; used for rmi conflicts, prune and the Containers count.
	ContainersUsing func(imageID digest.Digest) []string
	// Events receives image events (tag, untag, delete, import, load, save).
	Events func(action, id string, attrs map[string]string)
}

// layerStore is the part of *layer.Store the image service uses; tests
// substitute an in-memory implementation so that the image logic can be
// exercised without root.
type layerStore interface {
	Register(tar io.Reader, parent digest.Digest) (layer.Info, error)
	Get(chainID digest.Digest) (layer.Info, error)
	Delete(chainID digest.Digest) error
	TarStream(chainID digest.Digest) (io.ReadCloser, error)
}

// Service implements apiserver/router/image.Backend plus what the container
// lifecycle needs.
type Service struct {
	opts   Options
	layers layerStore

	// mu serialises every mutation of records, tags and blobs so that
	// check-then-act sequences (rmi conflicts, tag moves) are atomic.
	mu sync.Mutex
	// cache holds parsed configs by image ID; configs are immutable.
	cacheMu sync.Mutex
	cache   map[digest.Digest]*imageConfig
}

// New opens the store.
func New(opts Options) (*Service, error) {
	if opts.Layers == nil {
		return nil, errors.New("image store: no layer store")
	}
	return newService(opts, opts.Layers)
}

// Resolve finds an image by name[:tag], name@digest, full or short ID.
// Missing images give errdefs NotFound "No such image: <ref>".
func (s *Service) Resolve(ref string) (*Image, error) {
	id, err := s.resolveID(ref)
	if err != nil {
		return nil, err
	}
	return s.imageByID(id)
}

// CommitRequest is what `docker commit` and the builder need.
type CommitRequest struct {
	Parent          digest.Digest // image the container was created from ("" for scratch)
	LayerTar        io.Reader     // uncompressed rw-layer tar, nil for an empty layer
	Config          *container.Config
	ContainerID     string
	ContainerConfig *container.Config // recorded as history/container_config
	Author, Comment string
	Changes         []string // Dockerfile instructions applied on top of Config
	Repo, Tag       string   // optional tag
	EmptyLayer      bool     // history entry marked empty_layer
	CreatedBy       string   // history created_by
	// Exact takes Config as the new image's config as is, without
	// Changes or the merge with the container's or parent's config (the
	// builder computes every field itself, as Docker's CommitBuildStep).
	Exact bool
}

// Commit creates a new image: parent's layers plus LayerTar.
func (s *Service) Commit(ctx context.Context, req CommitRequest) (digest.Digest, error) {
	return s.commit(ctx, req)
}

// Size returns the total uncompressed size of an image's layers
// (VirtualSize / SizeRootFs).
func (s *Service) Size(id digest.Digest) (int64, error) {
	cfg, err := s.config(id)
	if err != nil {
		return 0, err
	}
	return s.chainSize(cfg.diffIDs()), nil
}
