package layer

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/berth-project/berth/internal/dirsize"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/layer/archive"
	"golang.org/x/sys/unix"
)

// lowerDirs returns the diff dirs below rw layer id, top first.
func (s *Store) lowerDirs(id string) ([]string, error) {
	parent, err := s.RWParent(id)
	if err != nil {
		return nil, err
	}
	if parent == "" {
		return nil, nil
	}
	chain, err := s.chain(parent)
	if err != nil {
		return nil, err
	}
	dirs := make([]string, len(chain))
	for i, c := range chain {
		dirs[i] = s.DiffPath(c)
	}
	return dirs, nil
}

// Changes lists what the container changed relative to its image, as
// `docker diff` does from an overlay upper dir: whiteouts are deletions,
// entries present below are modifications, others additions, and the
// parent directory of an addition or deletion is listed as modified. An
// opaque directory deletes what the layers below had in it.
func (s *Store) Changes(id string) ([]Change, error) {
	lowers, err := s.lowerDirs(id)
	if err != nil {
		return nil, err
	}
	c := &changeWalker{lowers: lowers, changedDirs: map[string]bool{}}
	if err := c.walk(filepath.Join(s.rwDir(id), "upper"), "/", false); err != nil {
		return nil, err
	}
	return c.out, nil
}

type changeWalker struct {
	lowers      []string
	out         []Change
	changedDirs map[string]bool
}

func (c *changeWalker) add(p string, kind int) {
	if kind != ChangeModify {
		if parent := path.Dir(p); parent != "/" && !c.changedDirs[parent] {
			c.out = append(c.out, Change{Path: parent, Kind: ChangeModify})
			c.changedDirs[parent] = true
		}
	}
	c.out = append(c.out, Change{Path: p, Kind: kind})
}

// walk lists directory p of the upper dir (host path dir). hidden means an
// opaque directory at or above p hides the lower layers' content.
func (c *changeWalker) walk(dir, p string, hidden bool) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return errdefs.NotFound("rw layer content %s not found", dir)
		}
		return err
	}
	var upperNames map[string]bool
	if hidden {
		upperNames = make(map[string]bool, len(ents))
	}
	for _, e := range ents { // ReadDir sorts by name
		name, host := path.Join(p, e.Name()), filepath.Join(dir, e.Name())
		if upperNames != nil {
			upperNames[e.Name()] = true
		}
		fi, err := e.Info()
		if err != nil {
			continue // vanished meanwhile
		}
		st := fi.Sys().(*syscall.Stat_t)
		isDir := fi.IsDir()
		if fi.Mode()&fs.ModeCharDevice != 0 && st.Rdev == 0 {
			c.add(name, ChangeDelete)
			continue
		}
		kind := ChangeAdd
		if lfi := c.lowerStat(name); lfi != nil {
			kind = ChangeModify
			// A directory that only holds changes is listed through them
			// unless its own attributes changed (Docker's rule).
			if isDir && lfi.IsDir() && fi.Mode() == lfi.Mode() && fi.Size() == lfi.Size() &&
				fi.ModTime().Unix() == lfi.ModTime().Unix() {
				kind = -1
			}
		}
		opaque := isDir && isOpaque(host)
		if kind >= 0 {
			c.add(name, kind)
		}
		if isDir {
			c.changedDirs[name] = kind >= 0
			if opaque {
				// Listed as changed, whatever its attributes: its lower
				// content is gone (added below).
				if kind < 0 {
					c.add(name, ChangeModify)
				}
				c.changedDirs[name] = true
			}
			if err := c.walk(host, name, hidden || opaque); err != nil {
				return err
			}
		}
	}
	if hidden {
		for _, n := range c.lowerNames(p) {
			if !upperNames[n] {
				c.add(path.Join(p, n), ChangeDelete)
			}
		}
	}
	return nil
}

// lowerStat finds p in the highest lower layer that has it; a whiteout
// there means it does not exist.
func (c *changeWalker) lowerStat(p string) os.FileInfo {
	for _, l := range c.lowers {
		fi, err := os.Lstat(filepath.Join(l, p))
		if err != nil {
			continue
		}
		if fi.Mode()&fs.ModeCharDevice != 0 && fi.Sys().(*syscall.Stat_t).Rdev == 0 {
			return nil
		}
		return fi
	}
	return nil
}

// lowerNames lists directory p as the lower layers show it merged.
func (c *changeWalker) lowerNames(p string) []string {
	seen, whited := map[string]bool{}, map[string]bool{}
	var out []string
	for _, l := range c.lowers {
		dir := filepath.Join(l, p)
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			n := e.Name()
			if seen[n] || whited[n] {
				continue
			}
			if e.Type()&fs.ModeCharDevice != 0 {
				if fi, err := e.Info(); err == nil && fi.Sys().(*syscall.Stat_t).Rdev == 0 {
					whited[n] = true
					continue
				}
			}
			seen[n] = true
			out = append(out, n)
		}
		if isOpaque(dir) {
			break
		}
	}
	sort.Strings(out)
	return out
}

func isOpaque(dir string) bool {
	v := make([]byte, 2)
	n, err := unix.Lgetxattr(dir, archive.OverlayOpaqueXattr, v)
	return err == nil && n == 1 && v[0] == 'y'
}

// DiffTar returns the rw layer as a layer tar (overlay whiteouts converted
// to .wh. files), for commit.
func (s *Store) DiffTar(id string) (io.ReadCloser, error) {
	if _, err := s.RWParent(id); err != nil {
		return nil, err
	}
	return archive.TarDir(filepath.Join(s.rwDir(id), "upper"), archive.TarOptions{ConvertWhiteouts: true})
}

// RWSize is the size of the container's rw layer in bytes: the apparent
// size of everything but directories, hard links counted once (as Docker's
// overlay2 DiffSize). It only walks the upper dir: `system df` sizes every
// container, so a missing layer is told by the walk itself rather than by
// reading its parent file first.
func (s *Store) RWSize(id string) (int64, error) {
	if err := validRWID(id); err != nil {
		return 0, err
	}
	size, err := dirsize.Size(context.Background(), filepath.Join(s.rwDir(id), "upper"))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, errdefs.NotFound("rw layer %s not found", id)
	}
	return size, err
}
