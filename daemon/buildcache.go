package daemon

import (
	"context"

	"github.com/berth-project/berth/internal/filters"
	"github.com/moby/moby/api/types/build"
)

// BuildCachePrune implements POST /build/prune. berth has no builder yet,
// so there is no build cache: nothing to delete, which is what `docker
// system prune` needs to hear to finish its other steps.
func (d *Daemon) BuildCachePrune(ctx context.Context, all bool, f filters.Args) (*build.CachePruneReport, error) {
	if err := f.Validate("until", "id", "parent", "type", "description", "inuse", "shared", "private", "label", "label!"); err != nil {
		return nil, err
	}
	return &build.CachePruneReport{}, nil
}
