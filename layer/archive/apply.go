package archive

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Apply extracts the tar stream r into the existing directory dst and
// returns the number of regular-file content bytes written. Every entry is
// confined to dst (see package doc). On error, dst may hold a partial
// result: callers that need atomicity extract into a temporary directory.
func Apply(dst string, r io.Reader, opts ApplyOptions) (int64, error) {
	return ApplyAt(dst, "", r, opts)
}

// ApplyAt is Apply into directory dir of root (docker cp into a
// container): dir and every entry are resolved with root as "/", so
// absolute symlinks inside the container point into the container, while
// entry names still may not climb above dir.
func ApplyAt(root, dir string, r io.Reader, opts ApplyOptions) (int64, error) {
	rt, err := openRoot(root)
	if err != nil {
		return 0, fmt.Errorf("apply tar: %w", err)
	}
	defer rt.close()
	a := &applier{root: rt, opts: opts, buf: make([]byte, 128<<10)}
	a.base = path.Clean("/" + dir)[1:]
	if a.base != "" {
		// Resolve dir once so entries are confined to what it is now.
		fd, err := rt.openDir(a.base, false)
		if err != nil {
			if isNotExist(err) {
				return 0, &notFoundError{path: dir}
			}
			return 0, fmt.Errorf("apply tar: %w", err)
		}
		real, err := os.Readlink(procPath(fd, ""))
		unix.Close(fd)
		if err != nil {
			return 0, fmt.Errorf("apply tar: %w", err)
		}
		rootReal, err := os.Readlink(procPath(rt.fd, ""))
		if err != nil {
			return 0, fmt.Errorf("apply tar: %w", err)
		}
		rel, ok := strings.CutPrefix(real, strings.TrimSuffix(rootReal, "/")+"/")
		if !ok {
			return 0, fmt.Errorf("apply tar: %s resolves outside %s", dir, root)
		}
		a.base = rel
	}
	if opts.Whiteouts == WhiteoutApply {
		a.unpacked = map[string]bool{}
	}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return a.size, fmt.Errorf("apply tar: read header: %w", err)
		}
		if err := a.entry(hdr, tr); err != nil {
			return a.size, fmt.Errorf("apply tar: %w", err)
		}
	}
	// Directory mtimes last: creating children changed them.
	for i := len(a.dirTimes) - 1; i >= 0; i-- {
		d := a.dirTimes[i]
		if err := a.setTimes(d.rel, d.mtime); err != nil && !isNotExist(err) {
			return a.size, fmt.Errorf("apply tar: %w", err)
		}
	}
	return a.size, nil
}

type dirTime struct {
	rel   string
	mtime time.Time
}

type applier struct {
	root     *inRoot
	opts     ApplyOptions
	buf      []byte
	size     int64
	dirTimes []dirTime
	unpacked map[string]bool // WhiteoutApply: paths this tar created
	base     string          // ApplyAt dir, resolved, relative to root
}

func (a *applier) entry(hdr *tar.Header, tr *tar.Reader) error {
	switch hdr.Typeflag {
	case tar.TypeXGlobalHeader:
		return nil // global PAX metadata, nothing to create
	case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse, tar.TypeDir, tar.TypeSymlink, tar.TypeLink, tar.TypeFifo:
	case tar.TypeChar, tar.TypeBlock:
		if !a.opts.AllowDevices {
			return fmt.Errorf("%q: device nodes are not allowed here", hdr.Name)
		}
	default:
		return fmt.Errorf("%q: unsupported tar entry type %q", hdr.Name, hdr.Typeflag)
	}
	rel, err := cleanRel(hdr.Name)
	if err != nil {
		return err
	}
	if rel == "" && hdr.Typeflag != tar.TypeDir {
		return &BreakoutError{Name: hdr.Name, Reason: "only a directory can replace the destination"}
	}
	rel = path.Join(a.base, rel)
	if len(hdr.Linkname) > MaxNameLen {
		return &BreakoutError{Name: hdr.Name, Reason: "link target too long"}
	}
	if rel == "" {
		a.dirTimes = append(a.dirTimes, dirTime{"", hdr.ModTime})
		return a.metadata(hdr, "", -1, false)
	}
	dir, base := path.Dir(rel), path.Base(rel)
	if dir == "." {
		dir = ""
	}
	if a.opts.Whiteouts != WhiteoutNone && strings.HasPrefix(base, WhiteoutPrefix) {
		return a.whiteout(hdr, dir, base)
	}
	if a.unpacked != nil {
		a.unpacked[rel] = true
	}

	pfd, err := a.root.dir(dir, true)
	if err != nil {
		return fmt.Errorf("%q: parent: %w", hdr.Name, err)
	}
	var st unix.Stat_t
	exists := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW) == nil
	isDir := hdr.Typeflag == tar.TypeDir
	if exists {
		existingDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
		if a.opts.NoOverwriteDirNonDir && existingDir && !isDir {
			return fmt.Errorf("cannot overwrite directory %q with non-directory %q", "/"+rel, hdr.Name)
		}
		if a.opts.NoOverwriteDirNonDir && !existingDir && isDir {
			return fmt.Errorf("cannot overwrite non-directory %q with directory %q", "/"+rel, hdr.Name)
		}
		if !(existingDir && isDir) {
			if err := removeAllAt(pfd, base); err != nil {
				return err
			}
			exists = false
		}
	}

	mode := uint32(hdr.Mode & 0o7777)
	switch hdr.Typeflag {
	case tar.TypeDir:
		if !exists {
			if err := unix.Mkdirat(pfd, base, 0o700); err != nil {
				return &os.PathError{Op: "mkdir", Path: rel, Err: err}
			}
		}
		a.dirTimes = append(a.dirTimes, dirTime{rel, hdr.ModTime})
		return a.metadata(hdr, rel, pfd, false)
	case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
		return a.regular(hdr, tr, rel, pfd, base)
	case tar.TypeSymlink:
		if err := unix.Symlinkat(hdr.Linkname, pfd, base); err != nil {
			return &os.PathError{Op: "symlink", Path: rel, Err: err}
		}
		return a.metadata(hdr, rel, pfd, true)
	case tar.TypeLink:
		return a.hardlink(hdr, rel, pfd, base)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		kind := map[byte]uint32{tar.TypeChar: unix.S_IFCHR, tar.TypeBlock: unix.S_IFBLK, tar.TypeFifo: unix.S_IFIFO}[hdr.Typeflag]
		dev := int(unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor)))
		if err := unix.Mknodat(pfd, base, kind|mode, dev); err != nil {
			return &os.PathError{Op: "mknod", Path: rel, Err: err}
		}
		return a.metadata(hdr, rel, pfd, true)
	}
	return nil
}

func (a *applier) regular(hdr *tar.Header, tr *tar.Reader, rel string, pfd int, base string) error {
	fd, err := unix.Openat(pfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return &os.PathError{Op: "create", Path: rel, Err: err}
	}
	f := os.NewFile(uintptr(fd), rel)
	defer f.Close()
	var n int64
	if isSparse(hdr) {
		if hdr.Size > MaxSparseSize {
			return fmt.Errorf("%q: sparse file of %d bytes exceeds the limit", hdr.Name, hdr.Size)
		}
		n, err = copySparse(f, tr, a.buf)
	} else {
		n, err = io.CopyBuffer(fileWriter{f}, tr, a.buf)
	}
	a.size += n
	if err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	if err := a.owner(hdr, func(uid, gid int) error { return f.Chown(uid, gid) }); err != nil {
		return fmt.Errorf("chown %s: %w", rel, err)
	}
	if err := unix.Fchmod(fd, uint32(hdr.Mode&0o7777)); err != nil {
		return &os.PathError{Op: "chmod", Path: rel, Err: err}
	}
	if err := a.xattrs(hdr, func(k string, v []byte) error { return unix.Fsetxattr(fd, k, v, 0) }); err != nil {
		return fmt.Errorf("%s: %w", rel, err)
	}
	return a.setTimesAt(pfd, base, hdr.ModTime)
}

// isSparse reports a GNU sparse entry, whose holes archive/tar expands to
// zeros without reading input: a few bytes can claim terabytes.
func isSparse(hdr *tar.Header) bool {
	if hdr.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// copySparse writes r to f leaving all-zero blocks as holes.
func copySparse(f *os.File, r io.Reader, buf []byte) (int64, error) {
	var off int64
	for {
		n, err := r.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			zero := true
			for _, c := range chunk {
				if c != 0 {
					zero = false
					break
				}
			}
			if !zero {
				if _, werr := f.WriteAt(chunk, off); werr != nil {
					return off, werr
				}
			}
			off += int64(n)
		}
		if err == io.EOF {
			return off, f.Truncate(off)
		}
		if err != nil {
			return off, err
		}
	}
}

// fileWriter hides os.File's ReadFrom so CopyBuffer uses our buffer
// instead of probing copy_file_range/splice on a tar reader.
type fileWriter struct{ f *os.File }

func (w fileWriter) Write(p []byte) (int, error) { return w.f.Write(p) }

func (a *applier) hardlink(hdr *tar.Header, rel string, pfd int, base string) error {
	target, err := cleanRel(hdr.Linkname)
	if err != nil {
		return err
	}
	if target == "" {
		return &BreakoutError{Name: hdr.Name, Reason: "hard link to the destination root"}
	}
	target = path.Join(a.base, target)
	if target == "" {
		return &BreakoutError{Name: hdr.Name, Reason: "hard link to the destination root"}
	}
	tdir, tbase := path.Dir(target), path.Base(target)
	if tdir == "." {
		tdir = ""
	}
	tfd, err := a.root.openDir(tdir, false)
	if err != nil {
		return fmt.Errorf("hard link %q -> %q: %w", hdr.Name, hdr.Linkname, err)
	}
	defer unix.Close(tfd)
	// No AT_SYMLINK_FOLLOW: a link to a symlink links the symlink itself,
	// never whatever it points at.
	if err := unix.Linkat(tfd, tbase, pfd, base, 0); err != nil {
		return fmt.Errorf("hard link %q -> %q: %w", hdr.Name, hdr.Linkname, err)
	}
	return nil
}

// whiteout handles a ".wh." entry in dir according to the whiteout mode.
func (a *applier) whiteout(hdr *tar.Header, dir, base string) error {
	if strings.HasPrefix(base, WhiteoutMetaPrefix) && base != WhiteoutOpaqueDir {
		return nil // aufs metadata (.wh..wh.plnk, .wh..wh.aufs): not content
	}
	if base == WhiteoutOpaqueDir {
		if a.opts.Whiteouts == WhiteoutOverlay {
			pfd, err := a.root.dir(dir, true)
			if err != nil {
				return err
			}
			if err := unix.Setxattr(procPath(pfd, ""), OverlayOpaqueXattr, []byte("y"), 0); err != nil {
				return fmt.Errorf("mark %q opaque: %w", dir, err)
			}
			return nil
		}
		// WhiteoutApply: drop what the layers below had in dir.
		pfd, err := a.root.dir(dir, false)
		if err != nil {
			if isNotExist(err) {
				return nil
			}
			return err
		}
		prefix := dir
		if prefix != "" {
			prefix += "/"
		}
		err = clearDirAt(pfd, ".", func(child string) bool { return a.unpacked[prefix+child] })
		a.root.invalidate()
		return err
	}
	name := strings.TrimPrefix(base, WhiteoutPrefix)
	if name == "" || name == "." || name == ".." {
		return &BreakoutError{Name: hdr.Name, Reason: "invalid whiteout"}
	}
	if a.opts.Whiteouts == WhiteoutOverlay {
		pfd, err := a.root.dir(dir, true)
		if err != nil {
			return err
		}
		if err := removeAllAt(pfd, name); err != nil {
			return err
		}
		if err := unix.Mknodat(pfd, name, unix.S_IFCHR, 0); err != nil {
			return fmt.Errorf("whiteout %q: %w", hdr.Name, err)
		}
		return a.owner(hdr, func(uid, gid int) error {
			return unix.Fchownat(pfd, name, uid, gid, unix.AT_SYMLINK_NOFOLLOW)
		})
	}
	pfd, err := a.root.dir(dir, false)
	if err != nil {
		if isNotExist(err) {
			return nil
		}
		return err
	}
	err = removeAllAt(pfd, name)
	a.root.invalidate()
	return err
}

// metadata applies owner, mode, xattrs and (except for directories, done
// at the end) mtime to rel, an entry of directory pfd. rel "" is the root.
func (a *applier) metadata(hdr *tar.Header, rel string, pfd int, withTime bool) error {
	base := path.Base(rel)
	if rel == "" {
		pfd, base = a.root.fd, "."
	}
	if err := a.owner(hdr, func(uid, gid int) error {
		return unix.Fchownat(pfd, base, uid, gid, unix.AT_SYMLINK_NOFOLLOW)
	}); err != nil {
		return fmt.Errorf("chown %s: %w", rel, err)
	}
	if hdr.Typeflag != tar.TypeSymlink {
		if err := chmodNoFollow(pfd, base, uint32(hdr.Mode&0o7777)); err != nil {
			return fmt.Errorf("chmod %s: %w", rel, err)
		}
	}
	if err := a.xattrs(hdr, func(k string, v []byte) error {
		return unix.Lsetxattr(procPath(pfd, base), k, v, 0)
	}); err != nil {
		return fmt.Errorf("%s: %w", rel, err)
	}
	if withTime {
		return a.setTimesAt(pfd, base, hdr.ModTime)
	}
	return nil
}

func (a *applier) owner(hdr *tar.Header, chown func(uid, gid int) error) error {
	if a.opts.NoLchown {
		return nil
	}
	uid, gid := hdr.Uid, hdr.Gid
	if a.opts.ChownTo != nil {
		uid, gid = a.opts.ChownTo.UID, a.opts.ChownTo.GID
	}
	return chown(uid, gid)
}

// xattrs sets the entry's SCHILY.xattr records. Failures for namespaces the
// filesystem does not support are ignored, as Docker does.
func (a *applier) xattrs(hdr *tar.Header, set func(k string, v []byte) error) error {
	total := 0
	for k, v := range hdr.PAXRecords {
		key, ok := strings.CutPrefix(k, "SCHILY.xattr.")
		if !ok {
			continue
		}
		total += len(key) + len(v)
		if len(v) > MaxXattrValueLen || total > MaxXattrTotalLen || len(key) > 255 {
			return fmt.Errorf("xattrs of %q exceed the size limit", hdr.Name)
		}
		if a.opts.Whiteouts == WhiteoutOverlay && strings.HasPrefix(key, "trusted.overlay.") {
			continue // a tar must not forge overlay metadata
		}
		if err := set(key, []byte(v)); err != nil {
			if errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EINVAL) {
				continue
			}
			return fmt.Errorf("set xattr %s: %w", key, err)
		}
	}
	return nil
}

func (a *applier) setTimes(rel string, mtime time.Time) error {
	if rel == "" {
		return a.setTimesAt(a.root.fd, ".", mtime)
	}
	dir := path.Dir(rel)
	if dir == "." {
		dir = ""
	}
	pfd, err := a.root.dir(dir, false)
	if err != nil {
		return err
	}
	return a.setTimesAt(pfd, path.Base(rel), mtime)
}

func (a *applier) setTimesAt(pfd int, base string, mtime time.Time) error {
	ts := unix.NsecToTimespec(mtime.UnixNano())
	if mtime.IsZero() || mtime.Before(time.Unix(0, 0)) {
		ts = unix.Timespec{}
	}
	err := unix.UtimesNanoAt(pfd, base, []unix.Timespec{ts, ts}, unix.AT_SYMLINK_NOFOLLOW)
	if err != nil && err != unix.ENOENT {
		return &os.PathError{Op: "utimes", Path: base, Err: err}
	}
	return err
}

// chmodNoFollow changes the mode of base in pfd without following a
// symlink there (which a running container could have swapped in).
func chmodNoFollow(pfd int, base string, mode uint32) error {
	err := unix.Fchmodat(pfd, base, mode, unix.AT_SYMLINK_NOFOLLOW)
	if err != unix.EOPNOTSUPP && err != unix.ENOSYS {
		return err
	}
	// No fchmodat2: pin the inode with O_PATH|O_NOFOLLOW, then chmod it
	// through its /proc magic link.
	fd, err := unix.Openat(pfd, base, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		return nil
	}
	return unix.Chmod(procPath(fd, ""), mode)
}
