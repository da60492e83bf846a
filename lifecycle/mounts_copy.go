package lifecycle

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	securejoin "github.com/cyphar/filepath-securejoin"
	"golang.org/x/sys/unix"
)

// copyImageContent fills an empty volume with what the image has at dest,
// as Docker does when a new volume is mounted over image content: owners,
// modes, times, extended attributes (file capabilities, user.*), symlinks,
// hard links and device nodes are kept. dest is resolved inside rootfs, so an image symlink
// such as /data -> /etc reads the container's /etc, never the host's.
func copyImageContent(rootfs, dest, volume string) error {
	src, err := securejoin.SecureJoin(rootfs, dest)
	if err != nil {
		return err
	}
	fi, err := os.Lstat(src)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("cannot mount volume over existing file, file exists %s", dest)
	}
	entries, err := os.ReadDir(volume)
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return nil // Docker copies only into an empty volume
	}
	return copyTree(src, volume)
}

// copyTree copies the tree under src into the existing directory dst and
// gives dst src's owner, mode and times.
func copyTree(src, dst string) error {
	links := map[[2]uint64]string{} // (dev, inode) -> first copy
	type dirTimes struct {
		path string
		st   *unix.Stat_t
	}
	var dirs []dirTimes
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return &os.PathError{Op: "lstat", Path: p, Err: err}
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR:
			if rel != "." {
				if err := unix.Mkdir(target, 0o700); err != nil {
					return &os.PathError{Op: "mkdir", Path: target, Err: err}
				}
			}
			dirs = append(dirs, dirTimes{target, &st})
			if err := setMeta(target, &st); err != nil {
				return err
			}
			return copyXattrs(p, target)
		case unix.S_IFREG:
			key := [2]uint64{st.Dev, st.Ino}
			if st.Nlink > 1 {
				if first, ok := links[key]; ok {
					return os.Link(first, target)
				}
				links[key] = target
			}
			if err := copyFile(p, target); err != nil {
				return err
			}
		case unix.S_IFLNK:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if err := os.Symlink(link, target); err != nil {
				return err
			}
		default: // devices, fifos, sockets
			if err := unix.Mknod(target, st.Mode, int(st.Rdev)); err != nil {
				return &os.PathError{Op: "mknod", Path: target, Err: err}
			}
		}
		if err := setMeta(target, &st); err != nil {
			return err
		}
		// After chown: the kernel drops security.capability on chown.
		if err := copyXattrs(p, target); err != nil {
			return err
		}
		return setTimes(target, &st)
	})
	if err != nil {
		return err
	}
	// Directory times last: filling a directory changes its mtime.
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := setTimes(dirs[i].path, dirs[i].st); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.OpenFile(src, os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return out.Close()
}

// setMeta sets owner then mode (chown clears set-id bits, so mode comes
// second); symlinks have no mode of their own.
func setMeta(p string, st *unix.Stat_t) error {
	if err := unix.Lchown(p, int(st.Uid), int(st.Gid)); err != nil {
		return &os.PathError{Op: "lchown", Path: p, Err: err}
	}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		return nil
	}
	if err := unix.Fchmodat(unix.AT_FDCWD, p, st.Mode&0o7777, 0); err != nil {
		return &os.PathError{Op: "chmod", Path: p, Err: err}
	}
	return nil
}

func setTimes(p string, st *unix.Stat_t) error {
	ts := []unix.Timespec{st.Atim, st.Mtim}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "utimes", Path: p, Err: err}
	}
	return nil
}

// copyXattrs copies src's extended attributes to dst (not following
// symlinks). Attributes the volume's filesystem does not support are
// skipped, as a copy without them is still the content the image has.
func copyXattrs(src, dst string) error {
	names, err := listXattrs(src)
	if err != nil || len(names) == 0 {
		return err
	}
	var buf []byte
	for _, name := range names {
		n, err := unix.Lgetxattr(src, name, nil)
		if err == unix.ENODATA {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "getxattr " + name, Path: src, Err: err}
		}
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		n, err = unix.Lgetxattr(src, name, buf[:n])
		if err != nil {
			return &os.PathError{Op: "getxattr " + name, Path: src, Err: err}
		}
		err = unix.Lsetxattr(dst, name, buf[:n], 0)
		if err == unix.ENOTSUP {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "setxattr " + name, Path: dst, Err: err}
		}
	}
	return nil
}

func listXattrs(p string) ([]string, error) {
	for {
		n, err := unix.Llistxattr(p, nil)
		if err == unix.ENOTSUP {
			return nil, nil
		}
		if err != nil || n == 0 {
			if err != nil {
				err = &os.PathError{Op: "listxattr", Path: p, Err: err}
			}
			return nil, err
		}
		buf := make([]byte, n)
		n, err = unix.Llistxattr(p, buf)
		if err == unix.ERANGE {
			continue // grew in between
		}
		if err != nil {
			return nil, &os.PathError{Op: "listxattr", Path: p, Err: err}
		}
		var names []string
		for _, name := range bytes.Split(buf[:n], []byte{0}) {
			if len(name) > 0 {
				names = append(names, string(name))
			}
		}
		return names, nil
	}
}
