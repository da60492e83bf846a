package archive

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// inRoot resolves paths inside a directory the way a chroot would: with
// openat2(RESOLVE_IN_ROOT) every "..", absolute symlink and symlink chain is
// clamped to the root, so nothing opened through it can be outside.
type inRoot struct {
	fd   int
	name string // for messages
	// One-entry cache of the last parent directory: tar entries come in
	// directory order, so this saves most path walks.
	cacheRel string
	cacheFd  int
}

const resolveFlags = unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS

func openRoot(dir string) (*inRoot, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	return &inRoot{fd: fd, name: dir, cacheFd: -1}, nil
}

func (r *inRoot) close() {
	r.invalidate()
	unix.Close(r.fd)
}

func (r *inRoot) invalidate() {
	if r.cacheFd >= 0 {
		unix.Close(r.cacheFd)
	}
	r.cacheFd, r.cacheRel = -1, ""
}

// openat2 opens rel (relative, cleaned; "" is the root) inside the root.
func (r *inRoot) openat2(rel string, flags uint64) (int, error) {
	if rel == "" {
		rel = "."
	}
	for {
		fd, err := unix.Openat2(r.fd, rel, &unix.OpenHow{Flags: flags | unix.O_CLOEXEC, Resolve: resolveFlags})
		if err == unix.EINTR || err == unix.EAGAIN { // EAGAIN: concurrent rename, retry
			continue
		}
		return fd, err
	}
}

// dir returns an O_PATH fd of directory rel inside the root, creating
// missing components (mode 0755, owned by the caller) when create is set.
// The fd belongs to the cache: callers must not close it and must not use
// it after the next dir/invalidate call.
func (r *inRoot) dir(rel string, create bool) (int, error) {
	if r.cacheFd >= 0 && r.cacheRel == rel {
		return r.cacheFd, nil
	}
	fd, err := r.openDir(rel, create)
	if err != nil {
		return -1, err
	}
	r.invalidate()
	r.cacheFd, r.cacheRel = fd, rel
	return fd, nil
}

// openDir is dir without the cache; the caller closes the fd.
func (r *inRoot) openDir(rel string, create bool) (int, error) {
	fd, err := r.openat2(rel, unix.O_PATH|unix.O_DIRECTORY)
	if err == nil || !create || err != unix.ENOENT {
		if err != nil {
			return -1, &os.PathError{Op: "open", Path: rel, Err: err}
		}
		return fd, nil
	}
	// Walk from the top, creating each missing component in its (already
	// in-root resolved) parent.
	parts := strings.Split(rel, "/")
	parent, err := r.openat2("", unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return -1, err
	}
	for i, p := range parts {
		prefix := strings.Join(parts[:i+1], "/")
		next, err := r.openat2(prefix, unix.O_PATH|unix.O_DIRECTORY)
		if err == unix.ENOENT {
			if err := unix.Mkdirat(parent, p, 0o755); err != nil && err != unix.EEXIST {
				unix.Close(parent)
				return -1, &os.PathError{Op: "mkdir", Path: prefix, Err: err}
			}
			next, err = r.openat2(prefix, unix.O_PATH|unix.O_DIRECTORY)
		}
		unix.Close(parent)
		if err != nil {
			return -1, &os.PathError{Op: "open", Path: prefix, Err: err}
		}
		parent = next
	}
	return parent, nil
}

// procPath names entry name of directory fd through /proc so that
// path-only syscalls (lsetxattr) act on it without re-resolving the
// directory; the final component is still not followed by l* calls.
func procPath(dirfd int, name string) string {
	p := "/proc/self/fd/" + strconv.Itoa(dirfd)
	if name != "" {
		p += "/" + name
	}
	return p
}

// removeAllAt deletes name in dirfd, recursively, never following symlinks.
func removeAllAt(dirfd int, name string) error {
	err := unix.Unlinkat(dirfd, name, 0)
	if err == nil || err == unix.ENOENT {
		return nil
	}
	if err != unix.EISDIR && err != unix.EPERM {
		return &os.PathError{Op: "unlink", Path: name, Err: err}
	}
	err = unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR)
	if err == nil || err == unix.ENOENT {
		return nil
	}
	if err != unix.ENOTEMPTY && err != unix.EEXIST {
		return &os.PathError{Op: "rmdir", Path: name, Err: err}
	}
	if err := clearDirAt(dirfd, name, nil); err != nil {
		return err
	}
	if err := unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR); err != nil && err != unix.ENOENT {
		return &os.PathError{Op: "rmdir", Path: name, Err: err}
	}
	return nil
}

// clearDirAt removes the children of directory name in dirfd, except those
// for which keep returns true.
func clearDirAt(dirfd int, name string, keep func(child string) bool) error {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: name, Err: err}
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("read dir %s: %w", name, err)
	}
	for _, n := range names {
		if keep != nil && keep(n) {
			continue
		}
		if err := removeAllAt(fd, n); err != nil {
			return err
		}
	}
	return nil
}

// cleanRel turns a tar entry name into a clean path relative to the root
// ("" for the root itself). Absolute names are taken relative to the root,
// as Docker does; names that climb out with ".." are refused.
func cleanRel(name string) (string, error) {
	if len(name) > MaxNameLen {
		return "", &BreakoutError{Name: name[:64] + "...", Reason: "name too long"}
	}
	if strings.IndexByte(name, 0) >= 0 {
		return "", &BreakoutError{Name: name, Reason: "NUL byte in name"}
	}
	rel := strings.TrimPrefix(name, "/")
	c := path.Clean(rel)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", &BreakoutError{Name: name, Reason: "path escapes the destination"}
	}
	c = path.Clean("/" + c)[1:]
	return c, nil
}

func isNotExist(err error) bool {
	return errors.Is(err, unix.ENOENT) || errors.Is(err, os.ErrNotExist)
}
