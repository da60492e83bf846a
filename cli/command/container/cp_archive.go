package container

import (
	"archive/tar"
	"errors"
	"fmt"
	"github.com/berth-project/berth/internal/tarwrite"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/moby/term"
)

func termFd(w any) (uintptr, bool) { return term.GetFdInfo(w) }

// writeTar archives src with its root entry renamed to rootName ("" puts
// the directory's contents at the archive root).
func writeTar(w io.Writer, src, rootName string) error {
	tw := tar.NewWriter(w)
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		name := path.Join(rootName, filepath.ToSlash(rel))
		if rel == "." {
			if rootName == "" {
				return nil
			}
			name = rootName
		}
		return tarwrite.Entry(tw, p, name, fi, tarwrite.Options{})
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// extractCopy writes an archive fetched from a container (root entry
// named rootName) to dst following docker cp's rules: into an existing
// directory, onto an existing file, or as a new path named dst.
func extractCopy(r io.Reader, rootName string, isDir bool, srcPath, dst string, keepOwner bool) error {
	baseDir, newRoot := dst, rootName
	fi, err := os.Stat(dst)
	switch {
	case err == nil && fi.IsDir():
		if isDir && (strings.HasSuffix(srcPath, "/.")) {
			newRoot = ""
		}
	case err == nil:
		if isDir {
			return fmt.Errorf("cannot copy a directory to a file: %s", dst)
		}
		baseDir, newRoot = filepath.Dir(dst), filepath.Base(dst)
	case errors.Is(err, os.ErrNotExist):
		if strings.HasSuffix(dst, string(filepath.Separator)) && !isDir {
			return fmt.Errorf("destination directory %s does not exist", dst)
		}
		clean := filepath.Clean(dst)
		baseDir, newRoot = filepath.Dir(clean), filepath.Base(clean)
		if _, err := os.Stat(baseDir); err != nil {
			return err
		}
	default:
		return err
	}
	return untar(r, baseDir, rootName, newRoot, keepOwner)
}

func untar(r io.Reader, baseDir, oldRoot, newRoot string, keepOwner bool) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := path.Clean("/" + hdr.Name)[1:]
		first, rest, _ := strings.Cut(name, "/")
		if first == oldRoot {
			name = path.Join(newRoot, rest)
		}
		if name == "" || name == "." {
			continue
		}
		target := filepath.Join(baseDir, filepath.FromSlash(name))
		if !strings.HasPrefix(target, filepath.Clean(baseDir)+string(filepath.Separator)) {
			return fmt.Errorf("invalid archive entry %q", hdr.Name)
		}
		mode := os.FileMode(hdr.Mode).Perm()
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, mode|0o700); err != nil {
				return err
			}
			_ = os.Chmod(target, mode)
		case tar.TypeReg:
			_ = os.MkdirAll(filepath.Dir(target), 0o755)
			f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			f.Close()
			if err != nil {
				return err
			}
			_ = os.Chmod(target, mode)
		case tar.TypeSymlink:
			_ = os.Remove(target)
			if err := os.Symlink(hdr.Linkname, target); err != nil {
				return err
			}
		case tar.TypeLink:
			lname := path.Clean("/" + hdr.Linkname)[1:]
			if f, rest, _ := strings.Cut(lname, "/"); f == oldRoot {
				lname = path.Join(newRoot, rest)
			}
			old := filepath.Join(baseDir, filepath.FromSlash(lname))
			if !strings.HasPrefix(old, filepath.Clean(baseDir)+string(filepath.Separator)) {
				return fmt.Errorf("invalid hardlink %q", hdr.Linkname)
			}
			_ = os.Remove(target)
			if err := os.Link(old, target); err != nil {
				return err
			}
		default:
			continue
		}
		if keepOwner && os.Getuid() == 0 {
			_ = os.Lchown(target, hdr.Uid, hdr.Gid)
		}
	}
}
