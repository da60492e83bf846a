package volume

import (
	"context"

	"github.com/berth-project/berth/internal/filters"
	"github.com/moby/moby/api/types/volume"
)

// Backend is everything the volume routes need; implemented by the volume
// package's Service. Errors carry internal/errdefs classes and Docker's
// wording ("get x: no such volume", "remove x: volume is in use - [id]").
type Backend interface {
	// VolumeList returns the volumes matching f and any warnings.
	VolumeList(ctx context.Context, f filters.Args) ([]volume.Volume, []string, error)
	VolumeInspect(ctx context.Context, name string) (*volume.Volume, error)
	// VolumeCreate creates a local volume (an empty name makes an
	// anonymous one) or returns the existing volume of that name.
	VolumeCreate(ctx context.Context, req volume.CreateRequest) (*volume.Volume, error)
	// VolumeRemove deletes a volume; force makes a missing one a success.
	VolumeRemove(ctx context.Context, name string, force bool) error
	// VolumesPrune removes unused volumes: anonymous ones unless the
	// filters hold all=true.
	VolumesPrune(ctx context.Context, f filters.Args) (*volume.PruneReport, error)
}
