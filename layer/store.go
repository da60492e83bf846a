// Package layer stores image layers as extracted overlayfs lower
// directories keyed by chain ID, and container read-write layers on top of
// them.
//
// Layout under the store root:
//
//	<chain-hex>/diff        extracted layer content (overlay lowerdir)
//	<chain-hex>/layer.tar   the tar it was registered from (stable diffIDs)
//	<chain-hex>/meta.json   Info
//	l/<short>               -> ../<chain-hex>/diff, keeps mount data short
//	rw/<id>/{upper,work,merged}, rw/<id>/parent, rw/<id>/lower
//	tmp/                    staging for atomic create and delete
//	empty/                  lowerdir for containers of layer-less images
package layer

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/berth-project/berth/internal/dirsize"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/layer/archive"
	digest "github.com/opencontainers/go-digest"
)

// Info describes a registered (read-only) layer.
type Info struct {
	ChainID digest.Digest // chain ID: digest of parent chain ID + " " + diffID (OCI image-spec)
	DiffID  digest.Digest // sha256 of the uncompressed layer tar
	Parent  digest.Digest // "" for a base layer
	Size    int64         // bytes of this layer's own content, counted as Docker's overlay2 driver does
}

// Change is one entry of `docker diff`.
type Change struct {
	Path string
	Kind int // 0 modified, 1 added, 2 deleted (moby container.ChangeType)
}

// Change kinds.
const (
	ChangeModify = 0
	ChangeAdd    = 1
	ChangeDelete = 2
)

// Store manages layers under root.
type Store struct {
	root string

	mu    sync.Mutex // serialises layer/rw creation and removal
	infos sync.Map   // digest.Digest -> Info, read-through cache of meta.json

	mmu    sync.Mutex
	mounts map[string]int // rw id -> mount references held by this process
}

// New opens (creating if needed) a layer store rooted at root.
func New(root string) (*Store, error) {
	for _, d := range []string{root, filepath.Join(root, "l"), filepath.Join(root, "rw"), filepath.Join(root, "empty")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("layer store: %w", err)
		}
	}
	// Anything left in tmp is from an interrupted register/delete.
	tmp := filepath.Join(root, "tmp")
	if err := os.RemoveAll(tmp); err != nil {
		return nil, fmt.Errorf("layer store: clean %s: %w", tmp, err)
	}
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("layer store: %w", err)
	}
	return &Store{root: root, mounts: map[string]int{}}, nil
}

func (s *Store) layerDir(chainID digest.Digest) string {
	return filepath.Join(s.root, chainID.Encoded())
}

// DiffPath is the extracted content directory of a layer.
func (s *Store) DiffPath(chainID digest.Digest) string {
	return filepath.Join(s.layerDir(chainID), "diff")
}

func shortID(chainID digest.Digest) string { return chainID.Encoded()[:16] }

func checkID(chainID digest.Digest) error {
	if chainID.Validate() != nil || chainID.Algorithm() != digest.SHA256 {
		return errdefs.InvalidParameter("invalid layer chain ID %q", chainID)
	}
	return nil
}

// ChainID computes the OCI chain ID of diffID on top of parent.
func ChainID(parent, diffID digest.Digest) digest.Digest {
	if parent == "" {
		return diffID
	}
	return digest.FromString(parent.String() + " " + diffID.String())
}

// Register applies an uncompressed layer tar on top of parent ("" for
// none). It computes the diffID while reading; the result is content
// addressed, so registering the same tar again returns the existing layer.
// A failed or hostile tar leaves nothing behind.
func (s *Store) Register(tar io.Reader, parent digest.Digest) (Info, error) {
	if parent != "" {
		if _, err := s.Get(parent); err != nil {
			return Info{}, err
		}
	}
	tmp, err := os.MkdirTemp(filepath.Join(s.root, "tmp"), "reg-")
	if err != nil {
		return Info{}, fmt.Errorf("register layer: %w", err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	info, err := extract(tmp, tar, parent)
	if err != nil {
		return Info{}, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if existing, err := s.Get(info.ChainID); err == nil {
		return existing, nil // same content registered before (or concurrently)
	}
	if parent != "" {
		if _, err := s.Get(parent); err != nil {
			return Info{}, err // deleted meanwhile
		}
	}
	final := s.layerDir(info.ChainID)
	os.RemoveAll(final) // a half-deleted leftover without meta.json
	if err := os.Rename(tmp, final); err != nil {
		return Info{}, fmt.Errorf("register layer: %w", err)
	}
	done = true
	if err := s.link(info.ChainID); err != nil {
		os.RemoveAll(final)
		return Info{}, err
	}
	s.infos.Store(info.ChainID, info)
	return info, nil
}

// extract fills dir with diff/, layer.tar and meta.json from r.
func extract(dir string, r io.Reader, parent digest.Digest) (Info, error) {
	diff := filepath.Join(dir, "diff")
	if err := os.Mkdir(diff, 0o755); err != nil {
		return Info{}, fmt.Errorf("register layer: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, "layer.tar"))
	if err != nil {
		return Info{}, fmt.Errorf("register layer: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	bw := bufio.NewWriterSize(f, 1<<20)
	tee := io.TeeReader(r, io.MultiWriter(h, bw))
	if _, err := archive.Apply(diff, tee, archive.ApplyOptions{Whiteouts: archive.WhiteoutOverlay, AllowDevices: true}); err != nil {
		return Info{}, fmt.Errorf("register layer: %w", err)
	}
	// The size is measured on the extracted tree, as Docker's overlay2
	// ApplyDiff does (symlinks count their target's length, hard links
	// once), so image sizes match Docker's to the byte; it is kept in
	// meta.json, as layers never change.
	size, err := dirsize.Size(context.Background(), diff)
	if err != nil {
		return Info{}, fmt.Errorf("register layer: %w", err)
	}
	// The diffID covers the whole stream, including the zero padding
	// after the end-of-archive marker that tar.Reader does not consume.
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return Info{}, fmt.Errorf("register layer: read: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return Info{}, fmt.Errorf("register layer: %w", err)
	}
	if err := f.Close(); err != nil {
		return Info{}, fmt.Errorf("register layer: %w", err)
	}
	diffID := digest.NewDigestFromBytes(digest.SHA256, h.Sum(nil))
	info := Info{ChainID: ChainID(parent, diffID), DiffID: diffID, Parent: parent, Size: size}
	data, _ := json.Marshal(info)
	if err := os.WriteFile(filepath.Join(dir, "meta.json"), data, 0o600); err != nil {
		return Info{}, fmt.Errorf("register layer: %w", err)
	}
	return info, nil
}

// link creates l/<short> -> ../<hex>/diff.
func (s *Store) link(chainID digest.Digest) error {
	l := filepath.Join(s.root, "l", shortID(chainID))
	target := filepath.Join("..", chainID.Encoded(), "diff")
	err := os.Symlink(target, l)
	if errors.Is(err, fs.ErrExist) {
		if cur, _ := os.Readlink(l); cur != target {
			return fmt.Errorf("register layer: short link %s already points to %s", l, cur)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("register layer: %w", err)
	}
	return nil
}

// Get returns a registered layer.
func (s *Store) Get(chainID digest.Digest) (Info, error) {
	// Cached IDs were validated when loaded; the regexp behind Validate
	// is most of the cost of a hit (every image and container size asks).
	if v, ok := s.infos.Load(chainID); ok {
		return v.(Info), nil
	}
	if err := checkID(chainID); err != nil {
		return Info{}, err
	}
	data, err := os.ReadFile(filepath.Join(s.layerDir(chainID), "meta.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return Info{}, errdefs.NotFound("layer %s not found", chainID)
	}
	if err != nil {
		return Info{}, fmt.Errorf("layer %s: %w", chainID, err)
	}
	var info Info
	if err := json.Unmarshal(data, &info); err != nil {
		return Info{}, fmt.Errorf("layer %s: corrupt metadata: %w", chainID, err)
	}
	s.infos.Store(chainID, info)
	return info, nil
}

// List returns every registered layer.
func (s *Store) List() ([]Info, error) {
	ents, err := os.ReadDir(s.root)
	if err != nil {
		return nil, err
	}
	var out []Info
	for _, e := range ents {
		if len(e.Name()) != 64 || !e.IsDir() {
			continue
		}
		if info, err := s.Get(digest.NewDigestFromEncoded(digest.SHA256, e.Name())); err == nil {
			out = append(out, info)
		}
	}
	return out, nil
}

// Delete removes a layer unless a child layer or rw layer uses it (then a
// Conflict error).
func (s *Store) Delete(chainID digest.Digest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.Get(chainID); err != nil {
		return err
	}
	all, err := s.List()
	if err != nil {
		return err
	}
	for _, l := range all {
		if l.Parent == chainID {
			return errdefs.Conflict("layer %s is in use by layer %s", chainID, l.ChainID)
		}
	}
	ids, err := s.ListRW()
	if err != nil {
		return err
	}
	for _, id := range ids {
		if p, _ := os.ReadFile(filepath.Join(s.rwDir(id), "parent")); digest.Digest(p) == chainID {
			return errdefs.Conflict("layer %s is in use by container %s", chainID, id)
		}
	}
	os.Remove(filepath.Join(s.root, "l", shortID(chainID)))
	s.infos.Delete(chainID)
	return s.removeDir(s.layerDir(chainID))
}

// removeDir makes dir disappear atomically (rename into tmp), then deletes it.
func (s *Store) removeDir(dir string) error {
	tmp, err := os.MkdirTemp(filepath.Join(s.root, "tmp"), "del-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := os.Rename(dir, filepath.Join(tmp, "x")); err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	return nil
}

// TarStream returns the layer's own content as an uncompressed tar with
// OCI whiteouts, byte-identical to the tar it was registered from when
// possible (the stored original is kept), for `save` and push.
func (s *Store) TarStream(chainID digest.Digest) (io.ReadCloser, error) {
	if _, err := s.Get(chainID); err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(s.layerDir(chainID), "layer.tar"))
	if err == nil {
		return f, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return archive.TarDir(s.DiffPath(chainID), archive.TarOptions{ConvertWhiteouts: true})
}

// chain returns the diff dirs of chainID and its ancestors, top first.
func (s *Store) chain(chainID digest.Digest) ([]digest.Digest, error) {
	var out []digest.Digest
	for c := chainID; c != ""; {
		info, err := s.Get(c)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		c = info.Parent
		if len(out) > 1000 {
			return nil, fmt.Errorf("layer %s: parent chain too long", chainID)
		}
	}
	return out, nil
}

func validRWID(id string) error {
	if id == "" || strings.ContainsAny(id, "/\x00") || id == "." || id == ".." {
		return errdefs.InvalidParameter("invalid rw layer id %q", id)
	}
	return nil
}
