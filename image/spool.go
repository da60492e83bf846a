package image

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/berth-project/berth/internal/errdefs"
	digest "github.com/opencontainers/go-digest"
)

// spool is a loaded archive's files, copied out of the (single-pass) input
// tar into flat temp files. Names are never used as host paths, so ".."
// or absolute entry names cannot write outside the spool directory.
type spool struct {
	dir   string
	files map[string]spoolFile // cleaned archive path -> content
	links map[string]string    // cleaned archive path -> cleaned target
}

type spoolFile struct {
	path   string
	size   int64
	digest digest.Digest
}

// maxLinkHops bounds symlink resolution inside an archive.
const maxLinkHops = 16

// cleanName maps an archive entry name to a canonical relative key; names
// that leave the archive root collapse onto it, as in a chroot.
func cleanName(name string) string {
	return strings.TrimPrefix(path.Clean("/"+name), "/")
}

// newSpool reads the whole tar stream into dir. Blobs named
// blobs/sha256/<hex> are verified against their name while copying.
func newSpool(dir string, r io.Reader) (*spool, error) {
	sp := &spool{dir: dir, files: map[string]spoolFile{}, links: map[string]string{}}
	tr := tar.NewReader(r)
	n := 0
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errdefs.InvalidParameter("invalid archive: %v", err)
		}
		key := cleanName(hdr.Name)
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeRegA:
			n++
			p := filepath.Join(dir, fmt.Sprintf("f%d", n))
			f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
			if err != nil {
				return nil, err
			}
			h := sha256.New()
			size, err := io.Copy(io.MultiWriter(f, h), tr)
			f.Close()
			if err != nil {
				return nil, errdefs.InvalidParameter("invalid archive: %s: %v", hdr.Name, err)
			}
			d := digest.NewDigestFromEncoded(digest.SHA256, hex.EncodeToString(h.Sum(nil)))
			if want, ok := blobNameDigest(key); ok && want != d {
				return nil, errdefs.InvalidParameter("invalid archive: blob %s has content digest %s", want, d)
			}
			delete(sp.links, key)
			sp.files[key] = spoolFile{path: p, size: size, digest: d}
		case tar.TypeSymlink:
			target := hdr.Linkname
			if !path.IsAbs(target) {
				target = path.Join(path.Dir("/"+key), target)
			}
			delete(sp.files, key)
			sp.links[key] = cleanName(target)
		case tar.TypeLink:
			delete(sp.files, key)
			sp.links[key] = cleanName(hdr.Linkname)
		}
	}
	return sp, nil
}

// blobNameDigest recognises OCI blob paths.
func blobNameDigest(key string) (digest.Digest, bool) {
	rest, ok := strings.CutPrefix(key, "blobs/sha256/")
	if !ok {
		return "", false
	}
	d := digest.NewDigestFromEncoded(digest.SHA256, rest)
	return d, d.Validate() == nil
}

// lookup resolves a path named inside the archive (manifest.json entries,
// blob paths). References that climb out of the archive are rejected.
func (sp *spool) lookup(name string) (spoolFile, error) {
	if name == "" {
		return spoolFile{}, errdefs.InvalidParameter("invalid archive: empty path")
	}
	clean := path.Clean(name)
	if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
		return spoolFile{}, errdefs.InvalidParameter("invalid archive: path %q is outside of the archive", name)
	}
	key := cleanName(clean)
	for hop := 0; hop <= maxLinkHops; hop++ {
		if f, ok := sp.files[key]; ok {
			return f, nil
		}
		target, ok := sp.links[key]
		if !ok {
			return spoolFile{}, errdefs.InvalidParameter("invalid archive: %s not found", name)
		}
		key = target
	}
	return spoolFile{}, errdefs.InvalidParameter("invalid archive: too many links resolving %s", name)
}

func (sp *spool) has(name string) bool { _, err := sp.lookup(name); return err == nil }

// read returns a small file's content (manifests, configs), bounded so a
// hostile archive cannot make the daemon allocate unbounded memory.
func (sp *spool) read(name string) ([]byte, error) {
	f, err := sp.lookup(name)
	if err != nil {
		return nil, err
	}
	if f.size > maxJSONSize {
		return nil, errdefs.InvalidParameter("invalid archive: %s is too large (%d bytes)", name, f.size)
	}
	return os.ReadFile(f.path)
}

// blob returns the spooled blob with digest d, checking it is there.
func (sp *spool) blob(d digest.Digest) (spoolFile, error) {
	if err := d.Validate(); err != nil || d.Algorithm() != digest.SHA256 {
		return spoolFile{}, errdefs.InvalidParameter("invalid archive: unsupported digest %q", d)
	}
	f, err := sp.lookup("blobs/sha256/" + d.Encoded())
	if err != nil {
		return spoolFile{}, errdefs.InvalidParameter("invalid archive: missing blob %s", d)
	}
	if f.digest != d {
		return spoolFile{}, errdefs.InvalidParameter("invalid archive: blob %s has content digest %s", d, f.digest)
	}
	return f, nil
}

const maxJSONSize = 32 << 20
