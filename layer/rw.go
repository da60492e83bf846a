package layer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-project/berth/internal/errdefs"
	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"
)

func (s *Store) rwDir(id string) string { return filepath.Join(s.root, "rw", id) }

// MergedPath is where the container's overlay is (or will be) mounted.
func (s *Store) MergedPath(id string) string { return filepath.Join(s.rwDir(id), "merged") }

// CreateRW creates the read-write layer of container id on top of parent.
func (s *Store) CreateRW(id string, parent digest.Digest) error {
	if err := validRWID(id); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	dir := s.rwDir(id)
	if _, err := os.Lstat(dir); err == nil {
		return errdefs.Conflict("rw layer %s already exists", id)
	}
	// The lowerdir list is computed once here so Mount is one read and one
	// mount(2).
	lower := filepath.Join(s.root, "empty")
	if parent != "" {
		chain, err := s.chain(parent)
		if err != nil {
			return err
		}
		dirs := make([]string, len(chain))
		for i, c := range chain {
			dirs[i] = filepath.Join(s.root, "l", shortID(c))
		}
		lower = strings.Join(dirs, ":")
	}
	tmp, err := os.MkdirTemp(filepath.Join(s.root, "tmp"), "rw-")
	if err != nil {
		return fmt.Errorf("create rw layer: %w", err)
	}
	for _, sub := range []string{"upper", "work", "merged"} {
		if err = os.Mkdir(filepath.Join(tmp, sub), 0o755); err != nil {
			break
		}
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(tmp, "parent"), []byte(parent), 0o600)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(tmp, "lower"), []byte(lower), 0o600)
	}
	if err == nil {
		err = os.Rename(tmp, dir)
	}
	if err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("create rw layer: %w", err)
	}
	return nil
}

// ListRW returns the ids of all rw layers.
func (s *Store) ListRW() ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(s.root, "rw"))
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(ents))
	for _, e := range ents {
		ids = append(ids, e.Name())
	}
	return ids, nil
}

// RWParent returns the layer a rw layer was created on ("" for none).
func (s *Store) RWParent(id string) (digest.Digest, error) {
	if err := validRWID(id); err != nil {
		return "", err
	}
	p, err := os.ReadFile(filepath.Join(s.rwDir(id), "parent"))
	if errors.Is(err, fs.ErrNotExist) {
		return "", errdefs.NotFound("rw layer %s not found", id)
	}
	return digest.Digest(p), err
}

// Mount mounts the container's overlay and returns the merged rootfs path.
// Mounts are reference counted; each Mount needs one Unmount. An overlay
// left mounted by a previous daemon process is adopted.
func (s *Store) Mount(id string) (string, error) {
	if err := validRWID(id); err != nil {
		return "", err
	}
	s.mmu.Lock()
	defer s.mmu.Unlock()
	dir := s.rwDir(id)
	merged := filepath.Join(dir, "merged")
	if s.mounts[id] > 0 {
		s.mounts[id]++
		return merged, nil
	}
	lower, err := os.ReadFile(filepath.Join(dir, "lower"))
	if errors.Is(err, fs.ErrNotExist) {
		return "", errdefs.NotFound("rw layer %s not found", id)
	}
	if err != nil {
		return "", err
	}
	if isMountPoint(merged) {
		s.mounts[id] = 1
		return merged, nil
	}
	if err := mountOverlay(string(lower), filepath.Join(dir, "upper"), filepath.Join(dir, "work"), merged); err != nil {
		return "", fmt.Errorf("mount rw layer %s: %w", id, err)
	}
	s.mounts[id] = 1
	return merged, nil
}

// Unmount drops one reference; the last one unmounts.
func (s *Store) Unmount(id string) error {
	if err := validRWID(id); err != nil {
		return err
	}
	s.mmu.Lock()
	defer s.mmu.Unlock()
	if s.mounts[id] > 1 {
		s.mounts[id]--
		return nil
	}
	delete(s.mounts, id)
	return unmount(s.MergedPath(id))
}

// RemoveRW unmounts (all references) and deletes the rw layer. A missing
// rw layer is not an error, so removing a half-created container works.
func (s *Store) RemoveRW(id string) error {
	if err := validRWID(id); err != nil {
		return err
	}
	s.mmu.Lock()
	delete(s.mounts, id)
	err := unmount(s.MergedPath(id))
	s.mmu.Unlock()
	if err != nil {
		return fmt.Errorf("remove rw layer %s: %w", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.removeDir(s.rwDir(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove rw layer %s: %w", id, err)
	}
	return nil
}

// isMountPoint tells whether dir is the root of a mount other than its
// parent's: two stats instead of parsing /proc/self/mountinfo.
func isMountPoint(dir string) bool {
	var st, pst unix.Stat_t
	if unix.Lstat(dir, &st) != nil || unix.Lstat(filepath.Dir(dir), &pst) != nil {
		return false
	}
	return st.Dev != pst.Dev
}

// unmount unmounts every mount stacked on target, detaching lazily when
// something still uses it.
func unmount(target string) error {
	for i := 0; i < 16 && isMountPoint(target); i++ {
		err := unix.Unmount(target, 0)
		if err == unix.EBUSY {
			err = unix.Unmount(target, unix.MNT_DETACH)
		}
		if err != nil && err != unix.EINVAL && err != unix.ENOENT {
			return &os.PathError{Op: "unmount", Path: target, Err: err}
		}
	}
	return nil
}
