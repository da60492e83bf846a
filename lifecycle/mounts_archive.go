package lifecycle

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/berth-project/berth/container"
	"github.com/berth-project/berth/internal/errdefs"
	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/moby/moby/api/types/mount"
	"golang.org/x/sys/unix"
)

// containerFS returns the container's filesystem as `docker cp` sees it:
// the rootfs with its volumes and binds mounted in (volume contents are
// not in the rootfs). Export, commit and diff read the layer alone and do
// not use this. The view is a private mount tree of its own, so mounting
// the volumes there never reaches the container or the host's rootfs
// mount, and every target is opened inside the view (openat2 in root)
// before anything is mounted on it: a symlink planted in the rootfs
// cannot redirect a mount onto the host.
func (s *Service) containerFS(c *container.Container) (_ string, _ func(), retErr error) {
	rootfs, err := s.layers.Mount(c.ID)
	if err != nil {
		return "", nil, err
	}
	var cleanups []func()
	release := func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}
	cleanups = append(cleanups, func() { _ = s.layers.Unmount(c.ID) })
	defer func() {
		if retErr != nil {
			release()
		}
	}()
	c.Lock()
	var mps []*container.MountPoint
	for _, dest := range sortedDests(c.MountPoints) {
		if mp := c.MountPoints[dest]; mp.Type == mount.TypeVolume || mp.Type == mount.TypeBind {
			cp := *mp
			mps = append(mps, &cp)
		}
	}
	c.Unlock()
	if len(mps) == 0 {
		return rootfs, release, nil
	}

	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	tag := c.ShortID() + "-" + hex.EncodeToString(suffix)
	view := filepath.Join(s.cfg.ExecRoot, "archive", tag)
	if err := os.MkdirAll(view, 0o700); err != nil {
		return "", nil, err
	}
	cleanups = append(cleanups, func() { _ = os.Remove(view) })
	if err := attachTree(rootfs, unix.AT_FDCWD, view, false); err != nil {
		return "", nil, fmt.Errorf("container view: %w", err)
	}
	cleanups = append(cleanups, func() { _ = unix.Unmount(view, unix.MNT_DETACH) })

	ref := "archive-" + tag // a mount reference of its own, not the container's
	for _, mp := range mps {
		src := mp.Source
		if mp.Type == mount.TypeVolume {
			if s.vols == nil {
				return "", nil, errNoVolumes
			}
			if src, err = s.vols.Mount(mp.Name, ref); err != nil {
				return "", nil, fmt.Errorf("mount volume %s: %w", mp.Name, err)
			}
			name := mp.Name
			cleanups = append(cleanups, func() { _ = s.vols.Unmount(name, ref) })
		}
		if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
			continue // a bind source removed since: nothing to show
		}
		if err := mountInView(view, mp.Destination, src, !mp.RW); err != nil {
			return "", nil, fmt.Errorf("mount %s at %s: %w", src, mp.Destination, err)
		}
	}
	return view, release, nil
}

// mountInView mounts src at dest inside root, creating the mountpoint (a
// directory or an empty file, like src) inside root when missing.
func mountInView(root, dest, src string, readOnly bool) error {
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	rootDir, err := os.OpenFile(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer rootDir.Close()
	target, err := pathrs.OpenatInRoot(rootDir, dest)
	if errors.Is(err, fs.ErrNotExist) {
		target, err = createInRoot(rootDir, dest, fi.IsDir())
	}
	if err != nil {
		return err
	}
	defer target.Close()
	return attachTree(src, int(target.Fd()), "", readOnly)
}

func createInRoot(root *os.File, dest string, dir bool) (*os.File, error) {
	if dir {
		return pathrs.MkdirAllHandle(root, dest, 0o755)
	}
	parent, err := pathrs.MkdirAllHandle(root, path.Dir(dest), 0o755)
	if err != nil {
		return nil, err
	}
	defer parent.Close()
	fd, err := unix.Openat(int(parent.Fd()), path.Base(dest), unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
	if err != nil && !errors.Is(err, unix.EEXIST) {
		return nil, &os.PathError{Op: "create", Path: dest, Err: err}
	}
	if err == nil {
		unix.Close(fd)
	}
	return pathrs.OpenatInRoot(root, dest)
}

// attachTree clones the mount tree at src (recursively, private, read-only
// if asked) and attaches it at toPath relative to toDirfd ("" = toDirfd
// itself) with the fd-based mount API, so the target is exactly the inode
// opened before.
func attachTree(src string, toDirfd int, toPath string, readOnly bool) error {
	tree, err := unix.OpenTree(unix.AT_FDCWD, src, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
	if err != nil {
		return &os.PathError{Op: "open_tree", Path: src, Err: err}
	}
	defer unix.Close(tree)
	attr := &unix.MountAttr{Propagation: unix.MS_PRIVATE}
	if readOnly {
		attr.Attr_set = unix.MOUNT_ATTR_RDONLY
	}
	if err := unix.MountSetattr(tree, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, attr); err != nil {
		return &os.PathError{Op: "mount_setattr", Path: src, Err: err}
	}
	flags := unix.MOVE_MOUNT_F_EMPTY_PATH
	if toPath == "" {
		flags |= unix.MOVE_MOUNT_T_EMPTY_PATH
	}
	if err := unix.MoveMount(tree, "", toDirfd, toPath, flags); err != nil {
		return &os.PathError{Op: "move_mount", Path: src, Err: err}
	}
	return nil
}

// checkWritable is Docker's rule for extracting into a container: into a
// mount point only if it is read-write, elsewhere only if the rootfs is.
// p is the container path after resolution.
func checkWritable(c *container.Container, p string) error {
	p = path.Clean("/" + p)
	var best *container.MountPoint
	for _, mp := range c.MountPoints {
		if p == mp.Destination || strings.HasPrefix(p, mp.Destination+"/") {
			if best == nil || len(mp.Destination) > len(best.Destination) {
				best = mp
			}
		}
	}
	if best != nil {
		if !best.RW {
			return errdefs.Forbidden("mounted volume is marked read-only")
		}
		return nil
	}
	if c.HostConfig.ReadonlyRootfs {
		return errdefs.Forbidden("container rootfs is marked read-only")
	}
	return nil
}
