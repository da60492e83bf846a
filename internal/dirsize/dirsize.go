// Package dirsize measures directory trees the way Docker's `system df`
// does (moby pkg/directory.Size): the apparent size (st_size) of every
// entry that is not a directory, each hard-linked inode once, symlinks
// not followed, mounts below the root crossed. Entries that vanish during
// the walk are skipped; a missing root is an error.
//
// It walks with directory file descriptors: getdents64 into one reused
// buffer per level and fstatat relative to the open directory, so a file
// costs one system call and no path building, and nothing under the root
// is resolved through a symlink swapped in during the walk.
package dirsize

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
)

// linux_dirent64: d_ino u64, d_off s64, d_reclen u16, d_type u8, d_name.
const (
	direntReclen = 16
	direntType   = 18
	direntName   = 19
	bufSize      = 8 << 10 // as os.ReadDir's
)

type inode struct{ dev, ino uint64 }

type walker struct {
	ctx   context.Context
	size  int64
	seen  map[inode]struct{} // inodes with more than one link, counted once
	bufs  [][]byte           // getdents buffer per depth, reused across siblings
	dirs  [][]string         // subdirectory names per depth, reused
	calls int                // system calls since the last context check
}

// walkers keeps walkers with their buffers: `system df` sizes a thousand
// small trees per request, and fresh buffers for each were most of the
// daemon's garbage.
var walkers = sync.Pool{New: func() any { return &walker{} }}

// Size returns the bytes used under dir (see the package comment).
func Size(ctx context.Context, dir string) (int64, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("size of %s: %w", dir, wrapErrno(err))
	}
	w := walkers.Get().(*walker)
	w.ctx, w.size, w.calls = ctx, 0, 0
	err = w.walk(fd, 0)
	unix.Close(fd)
	size := w.size
	w.ctx = nil
	clear(w.seen)
	if len(w.bufs) <= 4 { // a deep tree's buffers are not worth keeping
		walkers.Put(w)
	}
	if err != nil {
		return 0, fmt.Errorf("size of %s: %w", dir, err)
	}
	return size, nil
}

// wrapErrno keeps errors.Is(err, fs.ErrNotExist) and friends working.
func wrapErrno(err error) error {
	var errno unix.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return err
}

// walk sizes the directory open at fd (closed by the caller): files are
// stat'ed as their entries arrive; subdirectories are entered after the
// directory has been read, so one buffer per depth suffices.
func (w *walker) walk(fd int, depth int) error {
	if len(w.bufs) <= depth {
		w.bufs = append(w.bufs, make([]byte, bufSize))
		w.dirs = append(w.dirs, nil)
	}
	buf := w.bufs[depth]
	subdirs := w.dirs[depth][:0]
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("getdents: %w", err)
		}
		if n <= 0 {
			break
		}
		for off := 0; off < n; {
			reclen := int(binary.NativeEndian.Uint16(buf[off+direntReclen:]))
			typ := buf[off+direntType]
			name := cstring(buf[off+direntName : off+reclen])
			off += reclen
			if name == "." || name == ".." {
				continue
			}
			if typ == unix.DT_DIR {
				subdirs = append(subdirs, name)
				continue
			}
			isDir, err := w.file(fd, name)
			if err != nil {
				return err
			}
			if isDir { // DT_UNKNOWN from filesystems without d_type
				subdirs = append(subdirs, name)
			}
		}
		if err := w.check(); err != nil {
			return err
		}
	}
	// The slice is kept for reuse; deeper levels have their own.
	w.dirs[depth] = subdirs
	for i := range subdirs {
		name := w.dirs[depth][i]
		cfd, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err == unix.ENOENT || err == unix.ENOTDIR || err == unix.ELOOP {
			continue // removed or replaced since it was listed
		}
		if err != nil {
			return fmt.Errorf("open %s: %w", name, err)
		}
		err = w.walk(cfd, depth+1)
		unix.Close(cfd)
		if err != nil {
			return err
		}
	}
	return nil
}

// file adds the entry's size unless it is a directory (reported instead).
func (w *walker) file(dirfd int, name string) (bool, error) {
	var st unix.Stat_t
	err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	if err == unix.ENOENT {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("stat %s: %w", name, err)
	}
	w.calls++
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return true, nil
	}
	if st.Size == 0 {
		return false, nil
	}
	if st.Nlink > 1 {
		k := inode{uint64(st.Dev), st.Ino}
		if _, dup := w.seen[k]; dup {
			return false, nil
		}
		if w.seen == nil {
			w.seen = map[inode]struct{}{}
		}
		w.seen[k] = struct{}{}
	}
	w.size += st.Size
	return false, nil
}

// check polls the context every few hundred system calls.
func (w *walker) check() error {
	if w.calls < 256 {
		return nil
	}
	w.calls = 0
	return w.ctx.Err()
}

func cstring(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
