package distribution

import (
	"encoding/json"

	digest "github.com/opencontainers/go-digest"
	bolt "go.etcd.io/bbolt"
)

// metadata remembers, per local layer (diffID), the compressed blobs it
// is known as in registries: pushes then skip what a repository has and
// mount from a sibling repository instead of uploading (Docker's "v2
// metadata service").
type metadata struct{ db *bolt.DB }

var bucketBlobs = []byte("distribution-blobs")

// blobSource is one registry blob of a layer.
type blobSource struct {
	Digest     digest.Digest `json:"digest"`
	Size       int64         `json:"size"`
	MediaType  string        `json:"mediaType"`
	Repository string        `json:"repository"` // registry/repo path
}

func newMetadata(db *bolt.DB) (*metadata, error) {
	if db == nil {
		return &metadata{}, nil
	}
	err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketBlobs)
		return err
	})
	return &metadata{db: db}, err
}

func (m *metadata) get(diffID digest.Digest) []blobSource {
	if m.db == nil {
		return nil
	}
	var out []blobSource
	m.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketBlobs).Get([]byte(diffID)); v != nil {
			json.Unmarshal(v, &out)
		}
		return nil
	})
	return out
}

// add records src for diffID (at most 16 sources, newest first).
func (m *metadata) add(diffID digest.Digest, src blobSource) {
	if m.db == nil {
		return
	}
	m.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketBlobs)
		var list []blobSource
		if v := b.Get([]byte(diffID)); v != nil {
			json.Unmarshal(v, &list)
		}
		out := []blobSource{src}
		for _, l := range list {
			if l != src && len(out) < 16 {
				out = append(out, l)
			}
		}
		v, err := json.Marshal(out)
		if err != nil {
			return err
		}
		return b.Put([]byte(diffID), v)
	})
}
