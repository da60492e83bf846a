package builder

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/moby/moby/api/types/container"
	digest "github.com/opencontainers/go-digest"
	bolt "go.etcd.io/bbolt"
)

// cacheBucket holds the step cache: key -> cacheRecord.
var cacheBucket = []byte("builder.cache")

// cacheRecord is one cached step.
type cacheRecord struct {
	ImageID     digest.Digest `json:"image"`
	Parent      digest.Digest `json:"parent,omitempty"`
	Description string        `json:"description"` // the step's created_by
	Created     time.Time     `json:"created"`
	LastUsed    time.Time     `json:"last_used"`
	UsageCount  int           `json:"usage_count"`
}

// stepCache persists step results in the daemon database.
type stepCache struct{ db *bolt.DB }

func newStepCache(db *bolt.DB) (*stepCache, error) {
	err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(cacheBucket)
		return err
	})
	return &stepCache{db: db}, err
}

// cacheKey identifies a step: its parent image and the run config it
// would commit with (which carries the command, the build args in scope
// through the "|N k=v" prefix, and for COPY/ADD the content hash of the
// sources in its "#(nop)" comment).
func cacheKey(parent digest.Digest, cfg *container.Config) string {
	data, _ := json.Marshal(cfg) // struct fields in order, map keys sorted
	h := sha256.New()
	h.Write([]byte(parent))
	h.Write([]byte{0})
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

func (c *stepCache) get(key string) (cacheRecord, bool) {
	var rec cacheRecord
	found := false
	_ = c.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(cacheBucket).Get([]byte(key)); v != nil {
			found = json.Unmarshal(v, &rec) == nil
		}
		return nil
	})
	return rec, found
}

// touch records a cache hit.
func (c *stepCache) touch(key string) {
	_ = c.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(cacheBucket)
		var rec cacheRecord
		if v := b.Get([]byte(key)); v == nil || json.Unmarshal(v, &rec) != nil {
			return nil
		}
		rec.LastUsed = time.Now().UTC()
		rec.UsageCount++
		data, _ := json.Marshal(rec)
		return b.Put([]byte(key), data)
	})
}

func (c *stepCache) put(key string, rec cacheRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return c.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(cacheBucket).Put([]byte(key), data) })
}

func (c *stepCache) del(keys ...string) error {
	return c.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(cacheBucket)
		for _, k := range keys {
			if err := b.Delete([]byte(k)); err != nil {
				return err
			}
		}
		return nil
	})
}

// all lists every record by key.
func (c *stepCache) all() map[string]cacheRecord {
	out := map[string]cacheRecord{}
	_ = c.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(cacheBucket).ForEach(func(k, v []byte) error {
			var rec cacheRecord
			if json.Unmarshal(v, &rec) == nil {
				out[string(k)] = rec
			}
			return nil
		})
	})
	return out
}
