package lifecycle

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/layer"
	"github.com/berth-project/berth/layer/archive"
	securejoin "github.com/cyphar/filepath-securejoin"
	containertypes "github.com/moby/moby/api/types/container"
)

// withRootfs mounts the container's filesystem with its volumes for the
// duration of fn (reference counted, so it is safe while the container
// runs).
func (s *Service) withRootfs(name string, fn func(id, rootfs string) error) error {
	c, err := s.get(name)
	if err != nil {
		return err
	}
	rootfs, release, err := s.containerFS(c)
	if err != nil {
		return err
	}
	defer release()
	return fn(c.ID, rootfs)
}

// statInRoot resolves p inside rootfs (symlinks in the parent path stay
// inside the root; the last component is not followed, like docker cp).
func statInRoot(rootfs, p string) (*containertypes.PathStat, string, error) {
	clean := path.Clean("/" + p)
	dir, base := path.Split(clean)
	parent, err := securejoin.SecureJoin(rootfs, dir)
	if err != nil {
		return nil, "", err
	}
	full := filepath.Join(parent, base)
	if clean == "/" {
		full = rootfs
	}
	fi, err := os.Lstat(full)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, "", errdefs.NotFound("Could not find the file %s in container %s", p, "")
		}
		return nil, "", err
	}
	if !fi.IsDir() && wantsDir(p) {
		// "file/" and "file/." name a directory: lstat(2) fails with
		// ENOTDIR, which Docker passes on (a 500 naming the path). A
		// symlink to a directory is followed, as the kernel does.
		if fi.Mode()&os.ModeSymlink != 0 {
			if resolved, err := securejoin.SecureJoin(rootfs, clean); err == nil {
				if rfi, err := os.Stat(resolved); err == nil && rfi.IsDir() {
					fi, full = rfi, resolved
				}
			}
		}
		if !fi.IsDir() {
			return nil, "", fmt.Errorf("lstat %s: %w", p, syscall.ENOTDIR)
		}
	}
	st := &containertypes.PathStat{Name: fi.Name(), Size: fi.Size(), Mode: fi.Mode(), Mtime: fi.ModTime()}
	if clean == "/" {
		st.Name = "/"
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		target, _ := os.Readlink(full)
		st.LinkTarget = target
	}
	return st, full, nil
}

// wantsDir reports whether p ends in a separator or "/.", which only a
// directory satisfies.
func wantsDir(p string) bool {
	return strings.HasSuffix(p, "/") || strings.HasSuffix(p, "/.") || p == "."
}

func notFoundIn(err error, p, id string) error {
	if errdefs.IsNotFound(err) {
		return errdefs.NotFound("Could not find the file %s in container %s", p, id)
	}
	return err
}

// ContainerStatPath implements HEAD /containers/{id}/archive.
func (s *Service) ContainerStatPath(ctx context.Context, name, p string) (*containertypes.PathStat, error) {
	var st *containertypes.PathStat
	err := s.withRootfs(name, func(id, rootfs string) error {
		var err error
		st, _, err = statInRoot(rootfs, p)
		return notFoundIn(err, p, name)
	})
	return st, err
}

// ContainerArchivePath implements GET /containers/{id}/archive.
func (s *Service) ContainerArchivePath(ctx context.Context, name, p string) (io.ReadCloser, *containertypes.PathStat, error) {
	c, err := s.get(name)
	if err != nil {
		return nil, nil, err
	}
	rootfs, release, err := s.containerFS(c)
	if err != nil {
		return nil, nil, err
	}
	st, _, err := statInRoot(rootfs, p)
	if err != nil {
		release()
		return nil, nil, notFoundIn(err, p, name)
	}
	rc, err := archive.TarPath(rootfs, path.Clean("/"+p), archive.TarOptions{})
	if err != nil {
		release()
		return nil, nil, err
	}
	s.logEvent(c, "archive-path", map[string]string{"path": p})
	return &unmountOnClose{ReadCloser: rc, fn: release}, st, nil
}

type unmountOnClose struct {
	io.ReadCloser
	fn func()
}

func (u *unmountOnClose) Close() error {
	err := u.ReadCloser.Close()
	u.fn()
	return err
}

// ContainerExtractToDir implements PUT /containers/{id}/archive: the tar
// lands inside the container root and nowhere else.
func (s *Service) ContainerExtractToDir(ctx context.Context, name, p string, copyUIDGID, noOverwriteDirNonDir bool, content io.Reader) error {
	return s.withRootfs(name, func(id, rootfs string) error {
		dst, err := securejoin.SecureJoin(rootfs, p)
		if err != nil {
			return err
		}
		c, err := s.get(id)
		if err != nil {
			return err
		}
		c.Lock()
		err = checkWritable(c, strings.TrimPrefix(dst, rootfs))
		c.Unlock()
		if err != nil {
			return err
		}
		fi, err := os.Stat(dst)
		if err != nil {
			if os.IsNotExist(err) {
				return errdefs.NotFound("Could not find the file %s in container %s", p, name)
			}
			return err
		}
		if !fi.IsDir() {
			return errdefs.InvalidParameter("extraction point is not a directory")
		}
		_, err = archive.Apply(dst, content, archive.ApplyOptions{
			Whiteouts:            archive.WhiteoutNone,
			NoOverwriteDirNonDir: noOverwriteDirNonDir,
		})
		if err != nil {
			return errdefs.AsInvalidParameter(err)
		}
		s.logEvent(c, "extract-to-dir", map[string]string{"path": p})
		return nil
	})
}

// ContainerExport implements GET /containers/{id}/export: the rootfs
// alone, without volume or bind contents (as Docker).
func (s *Service) ContainerExport(ctx context.Context, name string, out io.Writer) error {
	c, err := s.get(name)
	if err != nil {
		return err
	}
	rootfs, err := s.layers.Mount(c.ID)
	if err != nil {
		return err
	}
	defer s.layers.Unmount(c.ID)
	rc, err := archive.TarDir(rootfs, archive.TarOptions{})
	if err != nil {
		return err
	}
	defer rc.Close()
	if _, err := io.Copy(out, rc); err != nil {
		return err
	}
	s.logEvent(c, "export", nil)
	return nil
}

// ContainerChanges implements GET /containers/{id}/changes.
func (s *Service) ContainerChanges(ctx context.Context, name string) ([]containertypes.FilesystemChange, error) {
	defer s.observe("changes", time.Now())
	c, err := s.get(name)
	if err != nil {
		return nil, err
	}
	changes, err := s.layers.Changes(c.ID)
	if err != nil {
		return nil, err
	}
	// Docker creates the mount points of the files it generates in an
	// init layer below the container's, so neither they nor their parent
	// directories show up in a fresh container's diff. Ours sit in the
	// container's own upper dir: hide them, and a directory whose only
	// changed children are such mount points (/etc, /dev).
	hidden := func(p string) bool { return generatedMountPoints[p] }
	busy := map[string]bool{} // directories with a change that stays
	for _, ch := range changes {
		if !hidden(ch.Path) {
			for d := path.Dir(ch.Path); d != "/" && !busy[d]; d = path.Dir(d) {
				busy[d] = true
			}
		}
	}
	out := make([]containertypes.FilesystemChange, 0, len(changes))
	for _, ch := range changes {
		if hidden(ch.Path) {
			continue
		}
		if ch.Kind == layer.ChangeModify && generatedParents[ch.Path] && !busy[ch.Path] {
			continue
		}
		out = append(out, containertypes.FilesystemChange{Path: ch.Path, Kind: containertypes.ChangeType(ch.Kind)})
	}
	return out, nil
}

// generatedMountPoints are the files and directories the daemon mounts
// over in every container (Docker's init layer holds the same).
var generatedMountPoints = map[string]bool{
	"/etc/hosts": true, "/etc/hostname": true, "/etc/resolv.conf": true,
	"/dev/console": true, "/dev/pts": true, "/dev/shm": true,
	"/proc": true, "/sys": true, "/.dockerenv": true,
}

// generatedParents are the directories that change only because a mount
// point was created in them.
var generatedParents = map[string]bool{"/etc": true, "/dev": true}

func (s *Service) layersPath(parts ...string) string {
	return filepath.Join(append([]string{s.cfg.DataRoot, "layers"}, parts...)...)
}
