package image

import (
	"context"
	"fmt"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/image"
	digest "github.com/opencontainers/go-digest"
	bolt "go.etcd.io/bbolt"
)

// ImageDelete implements DELETE /images/{name} with Docker's semantics
// (daemon/images/image_delete.go): a repository reference is untagged
// first and the image only goes when no reference is left; an ID deletes
// the image, refusing when it is tagged in several repositories or used
// by a container unless forced.
func (s *Service) ImageDelete(ctx context.Context, ref string, force, noPrune bool) ([]image.DeleteResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, err := s.resolveID(ref)
	if err != nil {
		return nil, err
	}
	records := []image.DeleteResponse{}
	refs := s.refsOf(id)
	removedRepoRef := false
	if !isIDRef(id, ref) {
		if !force && isSingleReference(refs) {
			if ctr := s.firstUser(id); ctr != "" {
				return nil, errdefs.Conflict("conflict: unable to remove repository reference %q (must force) - container %s is using its referenced image %s",
					ref, shortID(ctr), shortID(id.Encoded()))
			}
		}
		named, err := parseReference(ref)
		if err != nil {
			return nil, err
		}
		key := named.String()
		if _, ok := s.lookupTag(key); !ok {
			// Resolved through a manifest digest: nothing to untag.
			return nil, errdefs.NotFound("No such image: %s", ref)
		}
		if err := s.removeRef(id, key); err != nil {
			return nil, err
		}
		records = append(records, image.DeleteResponse{Untagged: reference.FamiliarString(named)})
		refs = s.refsOf(id)
		// Removing the last tag of a repository also drops its digests.
		if !isDigestRef(key) {
			hasTag := false
			for _, r := range refs {
				if !isDigestRef(r) && refName(r) == refName(key) {
					hasTag = true
				}
			}
			if !hasTag {
				var remaining []string
				for _, r := range refs {
					if isDigestRef(r) && refName(r) == refName(key) {
						if err := s.removeRef(id, r); err != nil {
							return records, err
						}
						records = append(records, image.DeleteResponse{Untagged: familiar(r)})
					} else {
						remaining = append(remaining, r)
					}
				}
				refs = remaining
			}
		}
		if len(refs) > 0 {
			return records, nil
		}
		removedRepoRef = true
	} else if isSingleReference(refs) {
		mask := conflictHard
		if !force {
			mask |= conflictStopped
		}
		if c := s.checkConflict(id, mask); c != nil {
			return nil, c
		}
		for _, r := range refs {
			if err := s.removeRef(id, r); err != nil {
				return nil, err
			}
			records = append(records, image.DeleteResponse{Untagged: familiar(r)})
		}
	}
	if err := s.deleteHelper(id, &records, force, !noPrune, removedRepoRef); err != nil {
		return nil, err
	}
	return records, nil
}

// isSingleReference reports whether refs are at most one tag plus digests
// of that same repository (Docker's rule for deleting by ID untagging
// everything without force).
func isSingleReference(refs []string) bool {
	if len(refs) <= 1 {
		return len(refs) == 1
	}
	single := ""
	canonical := map[string]bool{}
	for _, r := range refs {
		if isDigestRef(r) {
			canonical[refName(r)] = true
		} else if single == "" {
			single = r
		} else {
			return false
		}
	}
	if single == "" {
		single = refs[0]
	}
	return len(canonical) == 1 && canonical[refName(single)]
}

type conflictMask int

const (
	conflictChild conflictMask = 1 << iota
	conflictReference
	conflictStopped
	conflictHard = conflictChild
)

// deleteConflict is Docker's imageDeleteConflict.
type deleteConflict struct {
	id   digest.Digest
	hard bool
	used bool
	msg  string
}

func (c *deleteConflict) Error() string {
	force := "must be forced"
	if c.hard {
		force = "cannot be forced"
	}
	return fmt.Sprintf("conflict: unable to delete %s (%s) - %s", shortID(c.id.Encoded()), force, c.msg)
}

func (c *deleteConflict) Is(target error) bool { return target == errdefs.ErrConflict }

// checkConflict returns the first conflict in mask. Containers are only
// known as "using the image", so they are reported with Docker's
// stopped-container wording.
func (s *Service) checkConflict(id digest.Digest, mask conflictMask) *deleteConflict {
	if mask&conflictChild != 0 {
		recs, _ := s.records()
		if len(children(recs, id)) > 0 {
			return &deleteConflict{id: id, hard: true, msg: "image has dependent child images"}
		}
	}
	if mask&conflictReference != 0 && len(s.refsOf(id)) > 0 {
		return &deleteConflict{id: id, msg: "image is referenced in multiple repositories"}
	}
	if mask&conflictStopped != 0 {
		if ctr := s.firstUser(id); ctr != "" {
			return &deleteConflict{id: id, used: true, msg: "image is being used by stopped container " + shortID(ctr)}
		}
	}
	return nil
}

// deleteHelper removes the image itself (Docker's imageDeleteHelper),
// then, with prune, its now-unreferenced parents quietly.
func (s *Service) deleteHelper(id digest.Digest, records *[]image.DeleteResponse, force, prune, quiet bool) error {
	mask := conflictHard
	if !force {
		mask |= conflictReference | conflictStopped
	}
	if c := s.checkConflict(id, mask); c != nil {
		if quiet && (!s.isDangling(id) || c.used) {
			return nil
		}
		return c
	}
	rec, err := s.getRecord(id)
	if err != nil {
		return err
	}
	for _, r := range s.refsOf(id) {
		if err := s.removeRef(id, r); err != nil {
			return err
		}
		*records = append(*records, image.DeleteResponse{Untagged: familiar(r)})
	}
	// Forced removal of an image a container still uses only untags it:
	// the container's rootfs still stands on its layers.
	if s.firstUser(id) != "" {
		return nil
	}
	removed, _, err := s.removeImage(id)
	if err != nil {
		return err
	}
	*records = append(*records, image.DeleteResponse{Deleted: id.String()})
	for _, l := range removed {
		*records = append(*records, image.DeleteResponse{Deleted: l.String()})
	}
	if !prune || rec.Parent == "" {
		return nil
	}
	if _, err := s.getRecord(rec.Parent); err != nil {
		return nil
	}
	return s.deleteHelper(rec.Parent, records, false, true, true)
}

func (s *Service) isDangling(id digest.Digest) bool { return len(s.refsOf(id)) == 0 }

// removeImage drops the record and blobs of id, then the image's layers
// top-down while no other image needs them. It returns the removed
// layers' chain IDs and their total size.
func (s *Service) removeImage(id digest.Digest) ([]digest.Digest, int64, error) {
	cfg, err := s.config(id)
	if err != nil {
		return nil, 0, err
	}
	rec, err := s.getRecord(id)
	if err != nil {
		return nil, 0, err
	}
	err = s.opts.DB.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketImages).Delete([]byte(id))
	})
	if err != nil {
		return nil, 0, err
	}
	s.cacheMu.Lock()
	delete(s.cache, id)
	s.cacheMu.Unlock()
	s.removeBlob(id)
	if rec.Manifest != "" && !s.manifestInUse(rec.Manifest) {
		s.removeBlob(rec.Manifest)
	}
	s.event("delete", id, id.String())
	removed, size := s.releaseLayers(cfg.diffIDs())
	return removed, size, nil
}

// releaseLayers deletes the chain of diffIDs from the top while no image
// record uses a layer; layer.Store refuses (Conflict) layers that have
// children or container rw layers, which ends the walk too.
func (s *Service) releaseLayers(diffIDs []digest.Digest) ([]digest.Digest, int64) {
	if s.layers == nil {
		return nil, 0
	}
	used := s.chainsInUse()
	chains := chainIDs(diffIDs)
	var removed []digest.Digest
	var size int64
	for i := len(chains) - 1; i >= 0; i-- {
		ch := chains[i]
		if used[ch] {
			break
		}
		info, err := s.layers.Get(ch)
		if err != nil {
			if errdefs.IsNotFound(err) {
				continue
			}
			break
		}
		if err := s.layers.Delete(ch); err != nil {
			break
		}
		removed = append(removed, ch)
		size += info.Size
	}
	return removed, size
}

// chainsInUse is the set of chain IDs any stored image stands on.
func (s *Service) chainsInUse() map[digest.Digest]bool {
	used := map[digest.Digest]bool{}
	recs, _ := s.records()
	for _, r := range recs {
		if cfg, err := s.config(r.ID); err == nil {
			for _, c := range chainIDs(cfg.diffIDs()) {
				used[c] = true
			}
		}
	}
	return used
}

func (s *Service) manifestInUse(m digest.Digest) bool {
	recs, _ := s.records()
	for _, r := range recs {
		if r.Manifest == m {
			return true
		}
	}
	return false
}

// firstUser returns a container using the image, "" if none.
func (s *Service) firstUser(id digest.Digest) string {
	if s.opts.ContainersUsing == nil {
		return ""
	}
	if ids := s.opts.ContainersUsing(id); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

// shortID is Docker's stringid.TruncateID: 12 hex characters.
func shortID(id string) string {
	if i := len("sha256:"); len(id) > i && id[:i] == "sha256:" {
		id = id[i:]
	}
	if len(id) > 12 {
		id = id[:12]
	}
	return id
}
