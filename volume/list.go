package volume

import (
	"sort"

	"github.com/berth-project/berth/internal/filters"
)

// List returns the volumes matching f, sorted by name. Accepted filters
// are Docker's: dangling (true: no container uses it), name (regexp),
// label (key or key=value, all must match), driver.
func (s *Service) List(f filters.Args) ([]*Volume, error) {
	if err := f.Validate("dangling", "name", "driver", "label"); err != nil {
		return nil, err
	}
	match, err := s.matcher(f)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []*Volume{}
	for _, v := range s.vols {
		if match(v) {
			out = append(out, v.clone())
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// matcher turns validated filters into a predicate; call it with s.mu held
// (dangling reads the references).
func (s *Service) matcher(f filters.Args) (func(*Volume) bool, error) {
	var (
		dangling, wantDangling bool
		err                    error
	)
	if f.Contains("dangling") {
		wantDangling = true
		if dangling, _, err = f.GetBool("dangling"); err != nil {
			return nil, err
		}
	}
	return func(v *Volume) bool {
		if !f.ExactMatch("driver", v.Driver) || !f.Match("name", v.Name) {
			return false
		}
		if !f.MatchKVList("label", v.Labels) {
			return false
		}
		// Docker's label!: a volume is excluded when it matches every
		// term given.
		if f.Contains("label!") && len(f.Get("label!")) > 0 && f.MatchKVList("label!", v.Labels) {
			return false
		}
		if wantDangling && (len(s.refs[v.Name]) == 0) != dangling {
			return false
		}
		return true
	}, nil
}
