package image

import (
	"context"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
	"github.com/moby/moby/api/types/image"
	digest "github.com/opencontainers/go-digest"
)

// ImagesPrune implements POST /images/prune like Docker's graphdriver
// backend: dangling heads by default, every unused image with
// dangling=false; "until" and "label"/"label!" narrow the selection.
func (s *Service) ImagesPrune(ctx context.Context, f filters.Args) (*image.PruneReport, error) {
	if err := f.Validate("dangling", "label", "label!", "until"); err != nil {
		return nil, err
	}
	danglingOnly := true
	if v, ok, err := f.GetBool("dangling"); err != nil {
		return nil, err
	} else if ok {
		danglingOnly = v
	}
	until, err := untilFilter(f)
	if err != nil {
		return nil, err
	}
	all, err := s.entries()
	if err != nil {
		return nil, err
	}
	parents := parentSet(all)
	sizes := map[digest.Digest]int64{}
	for _, e := range all {
		for _, ch := range chainIDs(e.cfg.diffIDs()) {
			if info, err := s.layers.Get(ch); err == nil {
				sizes[ch] = info.Size
			}
		}
	}
	rep := &image.PruneReport{ImagesDeleted: []image.DeleteResponse{}}
	for _, e := range all {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		hasChildren := parents[e.rec.ID]
		if danglingOnly && hasChildren {
			continue // only heads
		}
		if len(e.refs) == 0 && hasChildren {
			continue // intermediate image: goes with its child
		}
		if !until.IsZero() && (e.cfg.Created == nil || e.cfg.Created.After(until)) {
			continue
		}
		if !matchLabels(f, e.cfg.Config.Labels) {
			continue
		}
		var deleted []image.DeleteResponse
		if len(e.refs) > 0 {
			should := !danglingOnly
			if !should {
				should = true
				for _, r := range e.refs {
					if !isDigestRef(r) {
						should = false
					}
				}
			}
			if !should {
				continue
			}
			for _, r := range e.refs {
				d, err := s.ImageDelete(ctx, r, false, false)
				if skipPruneError(err) {
					continue
				}
				if err != nil {
					return rep, err
				}
				deleted = append(deleted, d...)
			}
		} else {
			d, err := s.ImageDelete(ctx, e.rec.ID.String(), false, false)
			if skipPruneError(err) {
				continue
			}
			if err != nil {
				return rep, err
			}
			deleted = append(deleted, d...)
		}
		rep.ImagesDeleted = append(rep.ImagesDeleted, deleted...)
	}
	for _, d := range rep.ImagesDeleted {
		if d.Deleted != "" {
			rep.SpaceReclaimed += uint64(sizes[digest.Digest(d.Deleted)])
		}
	}
	if len(rep.ImagesDeleted) == 0 {
		rep.ImagesDeleted = nil
	}
	return rep, nil
}

// skipPruneError: images in use or already gone are skipped, as Docker does.
func skipPruneError(err error) bool {
	return err != nil && (errdefs.IsConflict(err) || errdefs.IsNotFound(err))
}
