// Package tarwrite writes host files into a tar stream the way the docker
// CLI does for `cp` and build contexts: a header from the file's own
// metadata (symlinks as links, directories with a trailing slash, no user
// or group names) and the content of regular files.
package tarwrite

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Options shape each header.
type Options struct {
	// RootOwned writes uid and gid 0 in PAX format, as the CLI does for a
	// build context.
	RootOwned bool
}

// Entry writes the file at path, whose metadata is fi, as name.
func Entry(tw *tar.Writer, path, name string, fi fs.FileInfo, o Options) error {
	link := ""
	if fi.Mode()&fs.ModeSymlink != 0 {
		var err error
		if link, err = os.Readlink(path); err != nil {
			return err
		}
	}
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return fmt.Errorf("archive %s: %w", name, err)
	}
	hdr.Name = name
	if fi.IsDir() {
		hdr.Name += "/"
	}
	hdr.Uname, hdr.Gname = "", ""
	if o.RootOwned {
		hdr.Uid, hdr.Gid = 0, 0
		hdr.Format = tar.FormatPAX
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(tw, f)
	return err
}
