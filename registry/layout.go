package registry

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
)

// layout knows the paths of distribution's filesystem storage that our
// shims add link files to, and our own directory beside it:
//
//	<root>/docker/registry/v2/repositories/<name>/
//	    _layers/<alg>/<hex>/link              -> canonical (sha256) blob digest
//	    _manifests/revisions/<alg>/<hex>/link -> canonical manifest digest
//	<root>/berth/referrers/<name>/<subject alg>/<subject hex>/<alg>-<hex>.json
//	                                          descriptor of one referrer
type layout struct{ root string }

func (l *layout) repoDir(name string) (string, error) {
	if _, err := reference.WithName(name); err != nil {
		return "", fmt.Errorf("invalid repository name %q", name)
	}
	return filepath.Join(l.root, "docker", "registry", "v2", "repositories", filepath.FromSlash(name)), nil
}

func (l *layout) blobLink(name string, d digest.Digest) (string, error) {
	dir, err := l.repoDir(name)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "_layers", string(d.Algorithm()), d.Encoded(), "link"), nil
}

func (l *layout) revisionLink(name string, d digest.Digest) (string, error) {
	dir, err := l.repoDir(name)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "_manifests", "revisions", string(d.Algorithm()), d.Encoded(), "link"), nil
}

func (l *layout) referrersDir(name string, subject digest.Digest) (string, error) {
	if _, err := reference.WithName(name); err != nil {
		return "", fmt.Errorf("invalid repository name %q", name)
	}
	return filepath.Join(l.root, "berth", "referrers", filepath.FromSlash(name), string(subject.Algorithm()), subject.Encoded()), nil
}

// readLink returns the digest a link file names ("" when there is none).
func readLink(path string) digest.Digest {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	d, err := digest.Parse(strings.TrimSpace(string(b)))
	if err != nil {
		return ""
	}
	return d
}

// writeFile writes data atomically (temp file and rename), so that a
// crash never leaves a half-written link for distribution to trip over.
func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
