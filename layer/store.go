// Package layer stores image layers as extracted overlayfs lower
// directories keyed by chain ID, and container read-write layers on top of
// them. (CONTRACT STUB: the exported API below is fixed; bodies to be written.)
package layer

import (
	"io"

	"github.com/berth-project/berth/internal/errdefs"
	digest "github.com/opencontainers/go-digest"
)

// Info describes a registered (read-only) layer.
type Info struct {
	ChainID digest.Digest // chain ID: digest of parent chain ID + " " + diffID (OCI image-spec)
	DiffID  digest.Digest // sha256 of the uncompressed layer tar
	Parent  digest.Digest // "" for a base layer
	Size    int64         // bytes of this layer's own content on disk
}

// Change is one entry of `docker diff`.
type Change struct {
	Path string
	Kind int // 0 modified, 1 added, 2 deleted (moby container.ChangeType)
}

// Store manages layers under root.
type Store struct{ root string }

// New opens (creating if needed) a layer store rooted at root.
func New(root string) (*Store, error) { return &Store{root: root}, nil }

// Register applies an uncompressed layer tar on top of parent ("" for
// none). It computes the diffID while reading; the result is content
// addressed, so registering the same tar again returns the existing layer.
// A failed or hostile tar leaves nothing behind.
func (s *Store) Register(tar io.Reader, parent digest.Digest) (Info, error) {
	return Info{}, errdefs.NotImplemented("layer register")
}

// Get returns a registered layer.
func (s *Store) Get(chainID digest.Digest) (Info, error) {
	return Info{}, errdefs.NotImplemented("layer get")
}

// Delete removes a layer unless a child layer or rw layer uses it (then a
// Conflict error).
func (s *Store) Delete(chainID digest.Digest) error { return errdefs.NotImplemented("layer delete") }

// TarStream returns the layer's own content as an uncompressed tar with
// OCI whiteouts, byte-identical to the tar it was registered from when
// possible (the stored original is kept), for `save` and push.
func (s *Store) TarStream(chainID digest.Digest) (io.ReadCloser, error) {
	return nil, errdefs.NotImplemented("layer tar")
}

// CreateRW creates the read-write layer of container id on top of parent.
func (s *Store) CreateRW(id string, parent digest.Digest) error {
	return errdefs.NotImplemented("rw layer create")
}

// Mount mounts the container's overlay and returns the merged rootfs path.
// Mounts are reference counted; each Mount needs one Unmount.
func (s *Store) Mount(id string) (string, error) { return "", errdefs.NotImplemented("mount") }

// Unmount drops one reference; the last one unmounts.
func (s *Store) Unmount(id string) error { return errdefs.NotImplemented("unmount") }

// RemoveRW unmounts (all references) and deletes the rw layer.
func (s *Store) RemoveRW(id string) error { return errdefs.NotImplemented("rw layer remove") }

// Changes lists what the container changed relative to its image.
func (s *Store) Changes(id string) ([]Change, error) {
	return nil, errdefs.NotImplemented("changes")
}

// DiffTar returns the rw layer as a layer tar (overlay whiteouts converted
// to .wh. files), for commit.
func (s *Store) DiffTar(id string) (io.ReadCloser, error) {
	return nil, errdefs.NotImplemented("diff tar")
}

// RWSize is the size of the container's rw layer in bytes.
func (s *Store) RWSize(id string) (int64, error) { return 0, errdefs.NotImplemented("rw size") }
