package archive

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// TarDir tars the whole tree under dir (not dir itself) with names relative
// to it, for export and layer diffs. Symlinks are stored, never followed.
func TarDir(dir string, opts TarOptions) (io.ReadCloser, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		if err == unix.ENOENT {
			return nil, &notFoundError{path: dir}
		}
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	return startTar(func(w *treeWriter) error {
		defer unix.Close(fd)
		return w.children(fd, "")
	}, opts), nil
}

// TarPath tars the file or directory at p, resolved inside root as if root
// were "/" (docker cp from a container). Intermediate symlinks are resolved
// within root; the final component is followed only with opts.FollowLink.
// The entry for p is named opts.RebaseName (default: p's base name) and a
// directory's content follows as "name/...". p "/" without RebaseName
// tars root's content like TarDir. A missing p gives an error matching
// errdefs.ErrNotFound and fs.ErrNotExist.
func TarPath(root, p string, opts TarOptions) (io.ReadCloser, error) {
	rt, err := openRoot(root)
	if err != nil {
		return nil, err
	}
	defer rt.close()
	rel, err := rt.resolve(p, opts.FollowLink)
	if err != nil {
		return nil, err
	}
	name := opts.RebaseName
	if name == "" && rel == "" && path.Clean("/"+p) != "/" {
		_, name = splitRel(path.Clean("/" + p)[1:]) // a link to "/" was followed
	}
	if rel == "" {
		fd, err := rt.openat2("", unix.O_RDONLY|unix.O_DIRECTORY)
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: root, Err: err}
		}
		if name == "" {
			return startTar(func(w *treeWriter) error {
				defer unix.Close(fd)
				return w.children(fd, "")
			}, opts), nil
		}
		// Rooted at "." so fstatat(fd, ".") describes root itself.
		return startTar(func(w *treeWriter) error {
			defer unix.Close(fd)
			return w.entry(fd, ".", name)
		}, opts), nil
	}
	dir, base := splitRel(rel)
	pfd, err := rt.openDir(dir, false)
	if err != nil {
		return nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		unix.Close(pfd)
		if err == unix.ENOENT {
			return nil, &notFoundError{path: p}
		}
		return nil, &os.PathError{Op: "lstat", Path: p, Err: err}
	}
	if name == "" {
		// The name the caller asked for, even when a link was followed.
		_, name = splitRel(path.Clean("/" + p)[1:])
	}
	return startTar(func(w *treeWriter) error {
		defer unix.Close(pfd)
		return w.entry(pfd, base, name)
	}, opts), nil
}

// ResolvePath returns the host path of p inside root (symlinks resolved
// with root as "/", the last one only if followLink), for stat-like uses.
// The result is a snapshot: use TarPath/ApplyAt for race-free access.
func ResolvePath(root, p string, followLink bool) (string, error) {
	rt, err := openRoot(root)
	if err != nil {
		return "", err
	}
	defer rt.close()
	rel, err := rt.resolve(p, followLink)
	if err != nil {
		return "", err
	}
	if rel == "" {
		return root, nil
	}
	dir, base := splitRel(rel)
	pfd, err := rt.openDir(dir, false)
	if err != nil {
		return "", err
	}
	defer unix.Close(pfd)
	real, err := os.Readlink(procPath(pfd, ""))
	if err != nil {
		return "", err
	}
	return path.Join(real, base), nil
}

// resolve cleans p and, with follow, resolves symlinks in its final
// component within the root; it returns the path relative to the root.
// Intermediate components are resolved later by openDir (RESOLVE_IN_ROOT).
func (r *inRoot) resolve(p string, follow bool) (string, error) {
	rel := path.Clean("/" + p)[1:]
	for i := 0; ; i++ {
		if rel == "" {
			return "", nil
		}
		dir, base := splitRel(rel)
		pfd, err := r.openDir(dir, false)
		if err != nil {
			if isNotExist(err) || errors.Is(err, unix.ENOTDIR) {
				return "", &notFoundError{path: p}
			}
			return "", err
		}
		var st unix.Stat_t
		err = unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW)
		if err != nil || !follow || st.Mode&unix.S_IFMT != unix.S_IFLNK {
			unix.Close(pfd)
			if err == unix.ENOENT {
				return "", &notFoundError{path: p}
			}
			return rel, err
		}
		if i >= 40 {
			unix.Close(pfd)
			return "", &os.PathError{Op: "resolve", Path: p, Err: unix.ELOOP}
		}
		buf := make([]byte, unix.PathMax)
		n, err := unix.Readlinkat(pfd, base, buf)
		unix.Close(pfd)
		if err != nil {
			return "", &os.PathError{Op: "readlink", Path: p, Err: err}
		}
		target := string(buf[:n])
		if !strings.HasPrefix(target, "/") {
			target = path.Join("/", dir, target)
		}
		rel = path.Clean("/" + target)[1:]
	}
}

func splitRel(rel string) (dir, base string) {
	dir, base = path.Dir(rel), path.Base(rel)
	if dir == "." {
		dir = ""
	}
	return dir, base
}

func startTar(walk func(*treeWriter) error, opts TarOptions) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		w := &treeWriter{tw: tar.NewWriter(pw), opts: opts, links: map[[2]uint64]string{}, buf: make([]byte, 128<<10)}
		err := walk(w)
		if err == nil {
			err = w.tw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr
}

// treeWriter writes entries while walking with directory fds and
// *at(..., AT_SYMLINK_NOFOLLOW) calls, so a tree being modified
// concurrently (a running container) cannot redirect it outside.
type treeWriter struct {
	tw    *tar.Writer
	opts  TarOptions
	links map[[2]uint64]string // dev/ino of multiply linked files -> first name
	buf   []byte
}

// children writes every entry of directory fd, sorted, with names prefix+name.
func (w *treeWriter) children(fd int, prefix string) error {
	dup, err := unix.Dup(fd)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(dup), prefix)
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return fmt.Errorf("read dir %q: %w", prefix, err)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := w.entry(fd, n, prefix+n); err != nil {
			return err
		}
	}
	return nil
}

// entry writes base of directory dirfd under the entry name name.
func (w *treeWriter) entry(dirfd int, base, name string) error {
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if err == unix.ENOENT {
			return nil // vanished meanwhile
		}
		return &os.PathError{Op: "lstat", Path: name, Err: err}
	}
	hdr := headerFromStat(&st, name)
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFSOCK:
		return nil // sockets cannot be archived (Docker skips them too)
	case unix.S_IFDIR:
		return w.dir(dirfd, base, name, hdr)
	case unix.S_IFLNK:
		buf := make([]byte, unix.PathMax)
		n, err := unix.Readlinkat(dirfd, base, buf)
		if err != nil {
			return &os.PathError{Op: "readlink", Path: name, Err: err}
		}
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, string(buf[:n])
	case unix.S_IFCHR, unix.S_IFBLK, unix.S_IFIFO:
		if w.opts.ConvertWhiteouts && st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0 {
			dir := path.Dir(name)
			wh := WhiteoutPrefix + path.Base(name)
			if dir != "." {
				wh = dir + "/" + wh
			}
			hdr.Name, hdr.Typeflag, hdr.Mode = wh, tar.TypeReg, 0o600
			return w.tw.WriteHeader(hdr)
		}
		hdr.Typeflag = map[uint32]byte{unix.S_IFCHR: tar.TypeChar, unix.S_IFBLK: tar.TypeBlock, unix.S_IFIFO: tar.TypeFifo}[st.Mode&unix.S_IFMT]
		hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	case unix.S_IFREG:
		hdr.Typeflag = tar.TypeReg
	}
	if st.Nlink > 1 {
		key := [2]uint64{st.Dev, st.Ino}
		if first, ok := w.links[key]; ok {
			hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
			return w.tw.WriteHeader(hdr)
		}
		w.links[key] = name
	}
	if hdr.Typeflag == tar.TypeReg {
		return w.regular(dirfd, base, hdr)
	}
	return w.tw.WriteHeader(hdr)
}

func (w *treeWriter) dir(dirfd int, base, name string, hdr *tar.Header) error {
	fd, err := unix.Openat(dirfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		if err == unix.ENOENT {
			return nil
		}
		return &os.PathError{Op: "open", Path: name, Err: err}
	}
	defer unix.Close(fd)
	hdr.Typeflag, hdr.Name = tar.TypeDir, name+"/"
	addXattrs(fd, hdr)
	if err := w.tw.WriteHeader(hdr); err != nil {
		return err
	}
	if w.opts.ConvertWhiteouts {
		v := make([]byte, 2)
		if n, err := unix.Fgetxattr(fd, OverlayOpaqueXattr, v); err == nil && n == 1 && v[0] == 'y' {
			wh := *hdr
			wh.Name, wh.Typeflag, wh.Mode, wh.PAXRecords = name+"/"+WhiteoutOpaqueDir, tar.TypeReg, hdr.Mode&0o777, nil
			if err := w.tw.WriteHeader(&wh); err != nil {
				return err
			}
		}
	}
	return w.children(fd, name+"/")
}

func (w *treeWriter) regular(dirfd int, base string, hdr *tar.Header) error {
	fd, err := unix.Openat(dirfd, base, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: hdr.Name, Err: err}
	}
	f := os.NewFile(uintptr(fd), hdr.Name)
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return fmt.Errorf("%s changed while archiving", hdr.Name)
	}
	hdr.Size = st.Size
	addXattrs(fd, hdr)
	if err := w.tw.WriteHeader(hdr); err != nil {
		return err
	}
	n, err := io.CopyBuffer(w.tw, io.LimitReader(f, hdr.Size), w.buf)
	if err != nil {
		return fmt.Errorf("archive %s: %w", hdr.Name, err)
	}
	// A file truncated under us is padded so the stream stays valid.
	for n < hdr.Size {
		chunk := min(int64(len(w.buf)), hdr.Size-n)
		clear(w.buf[:chunk])
		m, err := w.tw.Write(w.buf[:chunk])
		if err != nil {
			return err
		}
		n += int64(m)
	}
	return nil
}

// addXattrs records security.capability, the only xattr Docker archives
// (others, like trusted.overlay.*, are storage-driver internals).
func addXattrs(fd int, hdr *tar.Header) {
	v := make([]byte, 256)
	n, err := unix.Fgetxattr(fd, "security.capability", v)
	if err != nil || n == 0 {
		return
	}
	if hdr.PAXRecords == nil {
		hdr.PAXRecords = map[string]string{}
	}
	hdr.PAXRecords["SCHILY.xattr.security.capability"] = string(v[:n])
}

// headerFromStat builds a reproducible header: whole-second mtime, no
// atime/ctime, no user/group names (as Docker does).
func headerFromStat(st *unix.Stat_t, name string) *tar.Header {
	return &tar.Header{
		Name:    name,
		Mode:    int64(st.Mode & 0o7777),
		Uid:     int(st.Uid),
		Gid:     int(st.Gid),
		ModTime: time.Unix(st.Mtim.Sec, 0),
		Format:  tar.FormatPAX,
	}
}
