package image

import (
	"context"
	"errors"
	"time"

	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/storage"
)

// ImageInspect implements GET /images/{name}/json.
func (s *Service) ImageInspect(ctx context.Context, ref string) (*image.InspectResponse, error) {
	id, err := s.resolveID(ref)
	if err != nil {
		return nil, err
	}
	rec, err := s.getRecord(id)
	if err != nil {
		return nil, err
	}
	cfg, err := s.config(id)
	if err != nil {
		return nil, err
	}
	tags, digests := splitRefs(s.refsOf(id))
	if tags == nil {
		tags = []string{}
	}
	if digests == nil {
		digests = []string{}
	}
	comment := cfg.Comment
	if comment == "" && len(cfg.History) > 0 {
		comment = cfg.History[len(cfg.History)-1].Comment
	}
	var created string
	if cfg.Created != nil {
		created = cfg.Created.Format(time.RFC3339Nano)
	}
	conf := cfg.Config
	diffIDs := make([]string, len(cfg.RootFS.DiffIDs))
	for i, d := range cfg.RootFS.DiffIDs {
		diffIDs[i] = d.String()
	}
	return &image.InspectResponse{
		ID:           id.String(),
		RepoTags:     tags,
		RepoDigests:  digests,
		Comment:      comment,
		Created:      created,
		Author:       cfg.Author,
		Config:       &conf,
		Architecture: cfg.Architecture,
		Variant:      cfg.Variant,
		Os:           cfg.OS,
		OsVersion:    cfg.OSVersion,
		Size:         s.chainSize(cfg.diffIDs()),
		GraphDriver:  &storage.DriverData{Name: "overlay2", Data: map[string]string{}},
		RootFS:       image.RootFS{Type: "layers", Layers: diffIDs},
		Metadata:     image.Metadata{LastTagTime: rec.LastTagTime},
	}, nil
}

// ImageHistory implements GET /images/{name}/history: newest first, layer
// sizes for non-empty entries, and image IDs/tags filled in along the
// parent chain of committed images (others show "<missing>").
func (s *Service) ImageHistory(ctx context.Context, ref string) ([]image.HistoryResponseItem, error) {
	id, err := s.resolveID(ref)
	if err != nil {
		return nil, err
	}
	cfg, err := s.config(id)
	if err != nil {
		return nil, err
	}
	chains := chainIDs(cfg.diffIDs())
	out := []image.HistoryResponseItem{}
	n := 0
	for _, h := range cfg.History {
		var size int64
		if !h.EmptyLayer {
			if n >= len(chains) {
				return nil, errors.New("too many non-empty layers in History section")
			}
			if info, err := s.layers.Get(chains[n]); err == nil {
				size = info.Size
			}
			n++
		}
		var created int64
		if h.Created != nil {
			created = h.Created.Unix()
		}
		out = append([]image.HistoryResponseItem{{
			ID: "<missing>", Created: created, CreatedBy: h.CreatedBy, Comment: h.Comment, Size: size,
		}}, out...)
	}
	cur := id
	for i := range out {
		out[i].ID = cur.String()
		tags, _ := splitRefs(s.refsOf(cur))
		out[i].Tags = tags
		rec, err := s.getRecord(cur)
		if err != nil || rec.Parent == "" {
			break
		}
		cur = rec.Parent
		if _, err := s.config(cur); err != nil {
			break
		}
	}
	return out, nil
}
