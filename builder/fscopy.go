package builder

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/berth-project/berth/layer/archive"
	securejoin "github.com/cyphar/filepath-securejoin"
	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"
)

// owner is a uid/gid pair for copied files.
type owner struct{ uid, gid int }

type copyOptions struct {
	owner      *owner       // nil: keep the source's ownership
	mode       *os.FileMode // --chmod
	decompress bool
}

// copyInto copies src to dest inside root with Docker's rules: a
// directory's contents go into dest; a file goes into dest when dest ends
// with "/" or is a directory, else it becomes dest; ADD extracts a local
// archive into dest.
func copyInto(root, dest string, src copySource, opts copyOptions) error {
	fi, err := os.Lstat(src.path)
	if err != nil {
		return err
	}
	destDir := strings.HasSuffix(dest, "/")
	target, err := securejoin.SecureJoin(root, dest)
	if err != nil {
		return err
	}
	if tfi, err := os.Stat(target); err == nil && tfi.IsDir() {
		destDir = true
	}
	switch {
	case fi.IsDir():
		if err := mkdirAllInRoot(root, dest, opts.owner); err != nil {
			return err
		}
		return copyTree(src.path, target, opts)
	case opts.decompress && fi.Mode().IsRegular() && isArchive(src.path):
		if err := mkdirAllInRoot(root, dest, opts.owner); err != nil {
			return err
		}
		return extractArchive(src.path, target)
	}
	if destDir {
		if err := mkdirAllInRoot(root, dest, opts.owner); err != nil {
			return err
		}
		target = filepath.Join(target, filepath.Base(src.path))
	} else {
		if err := mkdirAllInRoot(root, path.Dir(path.Clean(dest)), opts.owner); err != nil {
			return err
		}
	}
	return copyEntry(src.path, target, fi, opts)
}

// copyTree copies the contents of dir src into the directory dst.
func copyTree(src, dst string, opts copyOptions) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if rel == "." {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		return copyEntry(p, filepath.Join(dst, rel), fi, opts)
	})
}

// copyEntry copies one file, directory, symlink or special file, with its
// mode and mtime, owned by opts.owner (or as the source).
func copyEntry(src, dst string, fi os.FileInfo, opts copyOptions) error {
	mode := fi.Mode()
	perm := mode.Perm() | mode&(os.ModeSetuid|os.ModeSetgid|os.ModeSticky)
	if opts.mode != nil {
		perm = *opts.mode
	}
	if existing, err := os.Lstat(dst); err == nil {
		switch {
		case existing.IsDir() && fi.IsDir():
		case existing.IsDir():
			return fmt.Errorf("cannot overwrite directory %q with non-directory", dst)
		default:
			if err := os.Remove(dst); err != nil {
				return err
			}
		}
	}
	st, _ := fi.Sys().(*syscall.Stat_t)
	switch {
	case fi.IsDir():
		if err := os.Mkdir(dst, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	case mode&os.ModeSymlink != 0:
		link, err := os.Readlink(src)
		if err != nil {
			return err
		}
		if err := os.Symlink(link, dst); err != nil {
			return err
		}
	case mode.IsRegular():
		if err := copyFile(src, dst); err != nil {
			return err
		}
	default:
		if st == nil {
			return fmt.Errorf("%s: unsupported file type", src)
		}
		if err := unix.Mknod(dst, st.Mode, int(st.Rdev)); err != nil {
			return err
		}
	}
	uid, gid := 0, 0
	if opts.owner != nil {
		uid, gid = opts.owner.uid, opts.owner.gid
	} else if st != nil {
		uid, gid = int(st.Uid), int(st.Gid)
	}
	if err := os.Lchown(dst, uid, gid); err != nil {
		return err
	}
	if mode&os.ModeSymlink == 0 {
		// chown clears set-id bits, so the mode comes after it.
		if err := os.Chmod(dst, perm); err != nil {
			return err
		}
	}
	mt := unix.NsecToTimespec(fi.ModTime().UnixNano())
	return unix.UtimesNanoAt(unix.AT_FDCWD, dst, []unix.Timespec{mt, mt}, unix.AT_SYMLINK_NOFOLLOW)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in) // copy_file_range where the kernel can
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// mkdirAllInRoot creates dir (a path inside root) and its missing
// parents, each owned by o (root when nil) with mode 0755; symlinks are
// resolved inside root.
func mkdirAllInRoot(root, dir string, o *owner) error {
	dir = path.Clean("/" + dir)
	if dir == "/" {
		return nil
	}
	cur := "/"
	for _, part := range strings.Split(strings.TrimPrefix(dir, "/"), "/") {
		cur = path.Join(cur, part)
		p, err := securejoin.SecureJoin(root, cur)
		if err != nil {
			return err
		}
		fi, err := os.Stat(p)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("mkdir %s: not a directory", cur)
			}
			continue
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err := os.Mkdir(p, 0o755); err != nil {
			return err
		}
		if o != nil {
			if err := os.Lchown(p, o.uid, o.gid); err != nil {
				return err
			}
		}
	}
	return nil
}

// isArchive tells a tar (plain or compressed) by its first bytes.
func isArchive(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if archive.DetectCompression(head) != archive.Uncompressed {
		return true
	}
	return len(head) >= 262 && bytes.Equal(head[257:262], []byte("ustar"))
}

// extractArchive is ADD's auto-extraction: contents (with their
// ownership) land in dir.
func extractArchive(p, dir string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	rc, err := archive.DecompressStream(bufio.NewReader(f))
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = archive.Apply(dir, rc, archive.ApplyOptions{Whiteouts: archive.WhiteoutNone})
	return err
}

// hashPath is the cache identity of a source: names, types, modes, sizes,
// link targets and contents (not times or ownership, which COPY resets),
// "file:<hex>" for a file and "dir:<hex>" for a tree.
func hashPath(p string) (string, error) {
	fi, err := os.Lstat(p)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	if !fi.IsDir() {
		if err := hashEntry(h, p, ".", fi); err != nil {
			return "", err
		}
		return "file:" + hex.EncodeToString(h.Sum(nil)), nil
	}
	err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(p, q)
		return hashEntry(h, q, rel, fi)
	})
	if err != nil {
		return "", err
	}
	return "dir:" + hex.EncodeToString(h.Sum(nil)), nil
}

func hashEntry(h io.Writer, p, rel string, fi os.FileInfo) error {
	link := ""
	if fi.Mode()&os.ModeSymlink != 0 {
		link, _ = os.Readlink(p)
	}
	fmt.Fprintf(h, "%s\x00%o\x00%d\x00%s\x00", rel, uint32(fi.Mode()), fi.Size(), link)
	if !fi.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(h, f)
	return err
}

func hashStrings(prefix string, s []string) string {
	sum := sha256.Sum256([]byte(strings.Join(s, ",")))
	return prefix + ":" + hex.EncodeToString(sum[:])
}

func digestOrEmpty(s string) digest.Digest {
	if s == "" {
		return ""
	}
	return digest.Digest(s)
}

// parseChown resolves --chown=user[:group] against the image's
// /etc/passwd and /etc/group; without a group the user spec is used for
// both, as Docker does.
func parseChown(root, spec string) (owner, error) {
	parts := strings.Split(spec, ":")
	if len(parts) > 2 {
		return owner{}, fmt.Errorf("invalid chown string format: %s", spec)
	}
	u, g := parts[0], parts[0]
	if len(parts) == 2 {
		g = parts[1]
	}
	uid, err := lookupID(root, "/etc/passwd", u)
	if err != nil {
		return owner{}, fmt.Errorf("can't find uid for user %s: %w", u, err)
	}
	gid, err := lookupID(root, "/etc/group", g)
	if err != nil {
		return owner{}, fmt.Errorf("can't find gid for group %s: %w", g, err)
	}
	return owner{uid: uid, gid: gid}, nil
}

func lookupID(root, file, name string) (int, error) {
	if n, err := strconv.Atoi(name); err == nil {
		return n, nil
	}
	p, err := securejoin.SecureJoin(root, file)
	if err != nil {
		return 0, err
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return 0, fmt.Errorf("no such %s: %s", kindOf(file), name)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) >= 3 && f[0] == name {
			if n, err := strconv.Atoi(f[2]); err == nil {
				return n, nil
			}
		}
	}
	return 0, fmt.Errorf("no such %s: %s", kindOf(file), name)
}

func kindOf(file string) string {
	if strings.HasSuffix(file, "group") {
		return "group"
	}
	return "user"
}
