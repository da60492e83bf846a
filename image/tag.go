package image

import (
	"context"
	"time"

	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
	bolt "go.etcd.io/bbolt"
)

// ImageTag implements POST /images/{name}/tag.
func (s *Service) ImageTag(ctx context.Context, source, repo, tag string) error {
	named, err := newTagRef(repo, tag)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, err := s.resolveID(source)
	if err != nil {
		return err
	}
	_, err = s.setTag(id, named)
	return err
}

// setTag points a normalized reference at id, updates the image's last-tag
// time and emits the "tag" event. It returns the image the reference
// pointed at before ("" if none or the same). Callers hold s.mu.
func (s *Service) setTag(id digest.Digest, named reference.Named) (digest.Digest, error) {
	key := named.String()
	var old digest.Digest
	err := s.opts.DB.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTags)
		if v := b.Get([]byte(key)); v != nil && digest.Digest(v) != id {
			old = digest.Digest(v)
		}
		if err := b.Put([]byte(key), []byte(id)); err != nil {
			return err
		}
		r, err := getRecordTx(tx, id)
		if err != nil {
			return err
		}
		r.LastTagTime = time.Now().UTC()
		return putRecord(tx, r)
	})
	if err != nil {
		return "", err
	}
	s.event("tag", id, reference.FamiliarString(named))
	return old, nil
}

// removeRef deletes one stored reference (tag or digest) and emits
// "untag". Callers hold s.mu.
func (s *Service) removeRef(id digest.Digest, normalized string) error {
	err := s.opts.DB.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTags).Delete([]byte(normalized))
	})
	if err == nil {
		s.event("untag", id, id.String())
	}
	return err
}

func getRecordTx(tx *bolt.Tx, id digest.Digest) (*record, error) {
	v := tx.Bucket(bucketImages).Get([]byte(id))
	if v == nil {
		return nil, errNoSuchImage(id.String())
	}
	r := new(record)
	return r, jsonUnmarshal(v, r)
}
