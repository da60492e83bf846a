package distribution

import (
	"io"
	"net"
	"strings"

	"github.com/berth-project/berth/image"
	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
	bolt "go.etcd.io/bbolt"
)

// Options are the daemon's registry settings (dockerd's flags of the same
// names).
type Options struct {
	// InsecureRegistries are CIDRs or host[:port] names reached over
	// plain HTTP or HTTPS without verification; 127.0.0.0/8 always is.
	InsecureRegistries []string
	// Mirrors are tried, in order, before Docker Hub for its images.
	Mirrors []string
	// MaxDownloads and MaxUploads bound the layers transferred at once
	// per pull or push (dockerd's defaults: 3 and 5).
	MaxDownloads, MaxUploads int
	// CertsDirs hold <host:port>/ca.crt, client.cert and client.key.
	CertsDirs []string
	// DB keeps which registry blob a local layer was pulled from or pushed
	// as, so pushes skip and mount what a registry has.
	DB *bolt.DB
}

// Store is the part of the image service a pull or push uses.
type Store interface {
	Resolve(ref string) (*image.Image, error)
	// LayerSize is the stored size of a layer, false when it is missing.
	LayerSize(chain digest.Digest) (int64, bool)
	RegisterLayer(tar io.Reader, parent, wantDiffID digest.Digest) (chain digest.Digest, isNew bool, size int64, err error)
	DropLayers(chains []digest.Digest)
	StorePulled(config []byte, layerSizes []int64, ref reference.Named, canonical reference.Canonical) (id, old digest.Digest, err error)
	PushSource(ref string) (id digest.Digest, config []byte, layers []image.PushLayer, err error)
	LayerTar(chain digest.Digest) (io.ReadCloser, error)
	AddReference(id digest.Digest, ref reference.Canonical) error
	TagsOf(repo reference.Named) []reference.NamedTagged
	Pushed(id digest.Digest, ref reference.Named)
}

// insecure reports whether host (host[:port]) is an insecure registry.
func (o *Options) insecure(host string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	if ip != nil && ip.IsLoopback() {
		return true
	}
	for _, e := range o.InsecureRegistries {
		if _, n, err := net.ParseCIDR(e); err == nil {
			if ip != nil && n.Contains(ip) {
				return true
			}
			continue
		}
		e = strings.TrimPrefix(strings.TrimPrefix(e, "http://"), "https://")
		if e == host || e == h {
			return true
		}
	}
	return false
}
