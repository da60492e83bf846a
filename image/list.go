package image

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/image"
	digest "github.com/opencontainers/go-digest"

	imagerouter "github.com/berth-project/berth/apiserver/router/image"
)

var _ imagerouter.Backend = (*Service)(nil)

// entry is one image as the list/prune code sees it.
type entry struct {
	rec  *record
	cfg  *imageConfig
	refs []string // normalized
}

// parentSet is the IDs that are some image's parent: those images have
// children (one pass, not a children scan per image of a list).
func parentSet(all []*entry) map[digest.Digest]bool {
	out := make(map[digest.Digest]bool, len(all))
	for _, e := range all {
		if e.rec.Parent != "" {
			out[e.rec.Parent] = true
		}
	}
	return out
}

func (e *entry) created() time.Time {
	if e.cfg.Created != nil {
		return *e.cfg.Created
	}
	return time.Time{}
}

// entries loads every image with its references.
func (s *Service) entries() ([]*entry, error) {
	recs, err := s.records()
	if err != nil {
		return nil, err
	}
	refs, err := s.refsByImage()
	if err != nil {
		return nil, err
	}
	var out []*entry
	for _, r := range recs {
		cfg, err := s.config(r.ID)
		if err != nil {
			continue // a corrupt blob must not break `docker images`
		}
		out = append(out, &entry{rec: r, cfg: cfg, refs: refs[r.ID]})
	}
	return out, nil
}

// Images implements GET /images/json with Docker's filter semantics.
func (s *Service) Images(ctx context.Context, opts imagerouter.ListOptions) ([]image.Summary, error) {
	f := opts.Filters
	if err := f.Validate("dangling", "label", "label!", "before", "since", "reference", "until"); err != nil {
		return nil, err
	}
	dangling, hasDangling, err := f.GetBool("dangling")
	if err != nil {
		return nil, err
	}
	before, err := s.refTimeFilter(f, "before")
	if err != nil {
		return nil, err
	}
	since, err := s.refTimeFilter(f, "since")
	if err != nil {
		return nil, err
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
	var sizes map[digest.Digest]int64
	if opts.SharedSize {
		sizes = s.sharedSizes(all)
	}
	// Newest first, by full timestamp so that images created within the
	// same second keep their order.
	sort.SliceStable(all, func(i, j int) bool {
		ci, cj := all[i].created(), all[j].created()
		if !ci.Equal(cj) {
			return ci.After(cj)
		}
		return all[i].rec.ID < all[j].rec.ID
	})
	out := []image.Summary{}
	for _, e := range all {
		hasChildren := parents[e.rec.ID]
		if dangling && hasChildren {
			continue // Docker lists only heads with dangling=true
		}
		c := e.created()
		if !before.IsZero() && !c.Before(before) {
			continue
		}
		if !since.IsZero() && !c.After(since) {
			continue
		}
		if !until.IsZero() && c.After(until) {
			continue
		}
		if !matchLabels(f, e.cfg.Config.Labels) {
			continue
		}
		tags, digests := []string{}, []string{}
		for _, r := range e.refs {
			if f.Contains("reference") && !matchReference(f.Get("reference"), r) {
				continue
			}
			if isDigestRef(r) {
				digests = append(digests, familiar(r))
			} else {
				tags = append(tags, familiar(r))
			}
		}
		sort.Strings(tags)
		sort.Strings(digests)
		if len(tags) == 0 && len(digests) == 0 {
			if !opts.All && hasChildren {
				continue // intermediate image
			}
			if hasDangling && !dangling {
				continue
			}
			if f.Contains("reference") {
				continue
			}
		} else if dangling && len(tags) > 0 {
			continue
		}
		sum := image.Summary{
			ID:          e.rec.ID.String(),
			ParentID:    e.rec.Parent.String(),
			RepoTags:    tags,
			RepoDigests: digests,
			Created:     c.Unix(),
			Size:        s.chainSize(e.cfg.diffIDs()),
			Labels:      e.cfg.Config.Labels,
			SharedSize:  -1,
			Containers:  -1,
		}
		if opts.SharedSize {
			sum.SharedSize = sizes[e.rec.ID]
		}
		out = append(out, sum)
	}
	return out, nil
}

// sharedSizes computes, per image, the size of its layers that at least
// one other image also uses.
func (s *Service) sharedSizes(all []*entry) map[digest.Digest]int64 {
	users := map[digest.Digest]int{}
	chains := map[digest.Digest][]digest.Digest{}
	for _, e := range all {
		ch := chainIDs(e.cfg.diffIDs())
		chains[e.rec.ID] = ch
		for _, c := range ch {
			users[c]++
		}
	}
	out := map[digest.Digest]int64{}
	for id, ch := range chains {
		var n int64
		for _, c := range ch {
			if users[c] > 1 {
				if info, err := s.layers.Get(c); err == nil {
					n += info.Size
				}
			}
		}
		out[id] = n
	}
	return out
}

// matchLabels applies "label" (all must match) and "label!" (none may).
func matchLabels(f filters.Args, labels map[string]string) bool {
	if f.Contains("label") && !f.MatchKVList("label", labels) {
		return false
	}
	return !f.AnyKV("label!", labels)
}

// matchReference is Docker's reference filter: each pattern is matched
// with path.Match against the familiar name and familiar name:tag.
func matchReference(patterns []string, normalized string) bool {
	ref, err := reference.ParseNormalizedNamed(normalized)
	if err != nil {
		return false
	}
	for _, p := range patterns {
		if ok, err := reference.FamiliarMatch(p, ref); err == nil && ok {
			return true
		}
	}
	return false
}

// refTimeFilter resolves "before"/"since", whose values are image
// references, to those images' creation times.
func (s *Service) refTimeFilter(f filters.Args, name string) (time.Time, error) {
	var t time.Time
	for _, v := range f.Get(name) {
		id, err := s.resolveID(v)
		if err != nil {
			return t, err
		}
		cfg, err := s.config(id)
		if err != nil {
			return t, err
		}
		if cfg.Created != nil {
			t = *cfg.Created
		}
	}
	return t, nil
}

func untilFilter(f filters.Args) (time.Time, error) {
	vals := f.Get("until")
	if len(vals) > 1 {
		return time.Time{}, errdefs.InvalidParameter("more than one until filter specified")
	}
	if len(vals) == 0 {
		return time.Time{}, nil
	}
	return parseTimestamp(vals[0], time.Now())
}

// parseTimestamp accepts what Docker's filters accept: a Go duration
// relative to now ("10m"), Unix seconds (optionally fractional) or an
// RFC 3339 / date-only timestamp.
func parseTimestamp(v string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(v); err == nil {
		return now.Add(-d), nil
	}
	if sec, frac, ok := strings.Cut(v, "."); !strings.ContainsAny(v, "-:TZ") {
		s, err := strconv.ParseInt(sec, 10, 64)
		if err == nil {
			var ns int64
			if ok && frac != "" {
				if len(frac) > 9 {
					frac = frac[:9]
				}
				frac += strings.Repeat("0", 9-len(frac))
				ns, err = strconv.ParseInt(frac, 10, 64)
			}
			if err == nil {
				return time.Unix(s, ns), nil
			}
		}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02T15", "2006-01-02", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, v, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errdefs.InvalidParameter("failed to parse value as time or duration: %q", v)
}
