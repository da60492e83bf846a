package builder

import (
	"context"
	"sort"
	"time"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
	"github.com/moby/moby/api/types/build"
	digest "github.com/opencontainers/go-digest"
)

// sizer is the part of the image store that tells image sizes; the
// daemon's image service has it.
type sizer interface {
	Size(id digest.Digest) (int64, error)
}

// ownSize is what a cached step added: its image's size minus its
// parent's.
func (b *Builder) ownSize(rec cacheRecord) int64 {
	s, ok := b.cfg.Images.(sizer)
	if !ok {
		return 0
	}
	size, err := s.Size(rec.ImageID)
	if err != nil {
		return 0
	}
	if rec.Parent != "" {
		if ps, err := s.Size(rec.Parent); err == nil {
			size -= ps
		}
	}
	if size < 0 {
		size = 0
	}
	return size
}

// DiskUsage lists the build cache for `system df` (Build Cache rows):
// one record per cached step whose image still exists.
func (b *Builder) DiskUsage(ctx context.Context) (*build.DiskUsage, error) {
	du := &build.DiskUsage{Items: []build.CacheRecord{}}
	for key, rec := range b.cache.all() {
		img, err := b.cfg.Images.Resolve(rec.ImageID.String())
		if err != nil {
			continue
		}
		last := rec.LastUsed
		size := b.ownSize(rec)
		du.Items = append(du.Items, build.CacheRecord{
			ID:          key[:25],
			Type:        "regular",
			Description: rec.Description,
			// A step whose image is also a tagged result is shared with
			// the images list; its space is not the cache's to reclaim.
			Shared:     len(img.RepoTags) > 0,
			Size:       size,
			CreatedAt:  rec.Created,
			LastUsedAt: &last,
			UsageCount: rec.UsageCount,
		})
		du.TotalSize += size
		if len(img.RepoTags) == 0 {
			du.Reclaimable += size
		}
	}
	du.TotalCount = int64(len(du.Items))
	sort.Slice(du.Items, func(i, j int) bool { return du.Items[i].CreatedAt.Before(du.Items[j].CreatedAt) })
	return du, nil
}

// Prune drops cache records (those last used before `until`, or all) and
// deletes the intermediate images only the cache kept: untagged, without
// children or containers. Tagged results stay.
func (b *Builder) Prune(ctx context.Context, all bool, f filters.Args) (*build.CachePruneReport, error) {
	if err := f.Validate("until", "id", "parent", "type", "description", "inuse", "shared", "private", "label", "label!"); err != nil {
		return nil, err
	}
	var until time.Time
	if vals := f.Get("until"); len(vals) > 0 {
		d, err := time.ParseDuration(vals[0])
		if err != nil {
			t, terr := time.Parse(time.RFC3339, vals[0])
			if terr != nil {
				return nil, errdefs.InvalidParameter("invalid filter 'until=%s': %v", vals[0], err)
			}
			until = t
		} else {
			until = time.Now().Add(-d)
		}
	}
	rep := &build.CachePruneReport{CachesDeleted: []string{}}
	var images []cacheRecord
	var keys []string
	for key, rec := range b.cache.all() {
		if !until.IsZero() && rec.LastUsed.After(until) {
			continue
		}
		keys = append(keys, key)
		images = append(images, rec)
	}
	sizes := map[digest.Digest]int64{}
	for _, rec := range images {
		sizes[rec.ImageID] = b.ownSize(rec)
	}
	if err := b.cache.del(keys...); err != nil {
		return nil, err
	}
	for _, k := range keys {
		rep.CachesDeleted = append(rep.CachesDeleted, k[:25])
	}
	// Children go first; repeat until a pass deletes nothing.
	for progress := true; progress; {
		progress = false
		for i, rec := range images {
			if rec.ImageID == "" {
				continue
			}
			img, err := b.cfg.Images.Resolve(rec.ImageID.String())
			if err != nil {
				images[i].ImageID = ""
				continue
			}
			if len(img.RepoTags) > 0 {
				images[i].ImageID = ""
				continue
			}
			if _, err := b.cfg.Images.ImageDelete(ctx, rec.ImageID.String(), false, true); err != nil {
				continue // has children or containers (for now)
			}
			rep.SpaceReclaimed += uint64(sizes[rec.ImageID])
			images[i].ImageID = ""
			progress = true
		}
	}
	return rep, nil
}
