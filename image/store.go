package image

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/berth-project/berth/internal/errdefs"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/moby/api/types/container"
	digest "github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	bolt "go.etcd.io/bbolt"
)

// Bucket names; the daemon database is shared, so they carry the package
// name.
var (
	bucketImages = []byte("images")
	bucketTags   = []byte("image-tags")
)

// record is the bbolt value of an image, keyed by image ID.
type record struct {
	ID          digest.Digest `json:"id"`
	Parent      digest.Digest `json:"parent,omitempty"`   // committed images: the image committed from
	Manifest    digest.Digest `json:"manifest,omitempty"` // manifest blob for save/push
	Added       time.Time     `json:"added"`
	LastTagTime time.Time     `json:"lastTagTime,omitempty"`
}

// imageConfig is the config blob: the OCI/Docker image config plus the
// legacy Docker fields that `commit` and `import` write and inspect shows.
type imageConfig struct {
	dockerspec.DockerOCIImage
	Comment         string            `json:"comment,omitempty"`
	Container       string            `json:"container,omitempty"`
	ContainerConfig *container.Config `json:"container_config,omitempty"`
	DockerVersion   string            `json:"docker_version,omitempty"`
	Parent          digest.Digest     `json:"parent,omitempty"`
}

func (c *imageConfig) diffIDs() []digest.Digest { return c.RootFS.DiffIDs }

// chainID is the chain ID of the top layer, "" without layers.
func (c *imageConfig) chainID() digest.Digest {
	if len(c.RootFS.DiffIDs) == 0 {
		return ""
	}
	return identity.ChainID(c.RootFS.DiffIDs)
}

func newService(opts Options, ls layerStore) (*Service, error) {
	if opts.DB == nil {
		return nil, fmt.Errorf("image store: no database")
	}
	for _, d := range []string{blobDir(opts.Root), tmpDir(opts.Root)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	// Leftovers of an interrupted load/save spool are garbage.
	if ents, err := os.ReadDir(tmpDir(opts.Root)); err == nil {
		for _, e := range ents {
			os.RemoveAll(filepath.Join(tmpDir(opts.Root), e.Name()))
		}
	}
	err := opts.DB.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketImages, bucketTags} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Service{opts: opts, layers: ls, cache: map[digest.Digest]*imageConfig{}}, nil
}

func blobDir(root string) string { return filepath.Join(root, "blobs", "sha256") }
func tmpDir(root string) string  { return filepath.Join(root, "tmp") }

func (s *Service) blobPath(d digest.Digest) string {
	return filepath.Join(blobDir(s.opts.Root), d.Encoded())
}

// putBlob stores data durably (temp file, fsync, rename) and returns its
// digest. Existing blobs are left alone: content addressing makes them equal.
func (s *Service) putBlob(data []byte) (digest.Digest, error) {
	d := digest.FromBytes(data)
	p := s.blobPath(d)
	if _, err := os.Stat(p); err == nil {
		return d, nil
	}
	f, err := os.CreateTemp(tmpDir(s.opts.Root), "blob-")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(f.Name(), p); err != nil {
		return "", err
	}
	return d, syncDir(blobDir(s.opts.Root))
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// getBlob reads a blob and verifies its digest, so that on-disk corruption
// never surfaces as a different image.
func (s *Service) getBlob(d digest.Digest) ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, errdefs.InvalidParameter("invalid digest %q: %v", d, err)
	}
	data, err := os.ReadFile(s.blobPath(d))
	if err != nil {
		if os.IsNotExist(err) {
			return nil, errdefs.NotFound("blob %s not found", d)
		}
		return nil, err
	}
	if got := digest.FromBytes(data); got != d {
		return nil, fmt.Errorf("blob %s is corrupt (content digest %s)", d, got)
	}
	return data, nil
}

func (s *Service) removeBlob(d digest.Digest) {
	if d != "" && d.Validate() == nil {
		os.Remove(s.blobPath(d))
	}
}

// config returns the parsed config of a stored image.
func (s *Service) config(id digest.Digest) (*imageConfig, error) {
	s.cacheMu.Lock()
	c, ok := s.cache[id]
	s.cacheMu.Unlock()
	if ok {
		return c, nil
	}
	if _, err := s.getRecord(id); err != nil {
		return nil, err
	}
	data, err := s.getBlob(id)
	if err != nil {
		return nil, err
	}
	c, err = parseConfig(data)
	if err != nil {
		return nil, err
	}
	s.cacheMu.Lock()
	s.cache[id] = c
	s.cacheMu.Unlock()
	return c, nil
}

func parseConfig(data []byte) (*imageConfig, error) {
	var c imageConfig
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&c); err != nil {
		return nil, errdefs.InvalidParameter("invalid image config: %v", err)
	}
	if c.RootFS.Type != "" && c.RootFS.Type != "layers" {
		return nil, errdefs.InvalidParameter("invalid image config: unsupported rootfs type %q", c.RootFS.Type)
	}
	for _, d := range c.RootFS.DiffIDs {
		if err := d.Validate(); err != nil {
			return nil, errdefs.InvalidParameter("invalid image config: diff_id %q: %v", d, err)
		}
	}
	return &c, nil
}

func (s *Service) getRecord(id digest.Digest) (*record, error) {
	var r *record
	err := s.opts.DB.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketImages).Get([]byte(id))
		if v == nil {
			return errdefs.NotFound("No such image: %s", id)
		}
		r = new(record)
		return json.Unmarshal(v, r)
	})
	return r, err
}

func putRecord(tx *bolt.Tx, r *record) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketImages).Put([]byte(r.ID), v)
}

// records returns every image record.
func (s *Service) records() ([]*record, error) {
	var out []*record
	err := s.opts.DB.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketImages).ForEach(func(k, v []byte) error {
			r := new(record)
			if err := json.Unmarshal(v, r); err != nil {
				return fmt.Errorf("image record %s: %w", k, err)
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

// refsByImage maps image ID -> normalized references (tags and digests).
func (s *Service) refsByImage() (map[digest.Digest][]string, error) {
	out := map[digest.Digest][]string{}
	err := s.opts.DB.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTags).ForEach(func(k, v []byte) error {
			id := digest.Digest(v)
			out[id] = append(out[id], string(k))
			return nil
		})
	})
	return out, err
}

// refsOf returns the normalized references of one image, sorted.
func (s *Service) refsOf(id digest.Digest) []string {
	m, err := s.refsByImage()
	if err != nil {
		return nil
	}
	return m[id]
}

// imageByID builds the exported Image of a stored image.
func (s *Service) imageByID(id digest.Digest) (*Image, error) {
	cfg, err := s.config(id)
	if err != nil {
		return nil, err
	}
	tags, _ := splitRefs(s.refsOf(id))
	return &Image{ID: id, Config: cfg.DockerOCIImage, ChainID: cfg.chainID(), RepoTags: tags}, nil
}

// chainSize sums the on-disk sizes of the layers of a diffID chain.
func (s *Service) chainSize(diffIDs []digest.Digest) int64 {
	var total int64
	if s.layers == nil {
		return 0
	}
	for _, ch := range chainIDs(diffIDs) {
		if info, err := s.layers.Get(ch); err == nil {
			total += info.Size
		}
	}
	return total
}

// event reports an image event with Docker's attributes: the name and the
// image's labels.
func (s *Service) event(action string, id digest.Digest, name string) {
	if s.opts.Events == nil {
		return
	}
	attrs := map[string]string{"name": name}
	if cfg, err := s.config(id); err == nil {
		for k, v := range cfg.Config.Labels {
			attrs[k] = v
		}
	}
	s.opts.Events(action, id.String(), attrs)
}

// children returns the IDs of images whose parent is id.
func children(recs []*record, id digest.Digest) []digest.Digest {
	var out []digest.Digest
	for _, r := range recs {
		if r.Parent == id {
			out = append(out, r.ID)
		}
	}
	return out
}

func errNoSuchImage(ref string) error { return errdefs.NotFound("No such image: %s", ref) }

var jsonUnmarshal = json.Unmarshal

// chainIDs returns the chain ID of every layer prefix; identity.ChainIDs
// rewrites its argument, so it gets a copy.
func chainIDs(diffIDs []digest.Digest) []digest.Digest {
	return identity.ChainIDs(append([]digest.Digest(nil), diffIDs...))
}
