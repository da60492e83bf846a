package volume

import (
	"context"
	"time"

	"github.com/berth-project/berth/internal/filters"
	volumetypes "github.com/moby/moby/api/types/volume"
)

// The methods below serve the Engine API's /volumes routes (they implement
// apiserver/router/volume.Backend) in the API's own types.

// APIVolume renders v as the Engine API shows it (inspect, ls, create).
func APIVolume(v *Volume) volumetypes.Volume {
	return volumetypes.Volume{
		Name:       v.Name,
		Driver:     v.Driver,
		Mountpoint: v.Mountpoint,
		// Docker prints the time in the daemon's zone, to the second.
		CreatedAt: v.CreatedAt.Local().Format(time.RFC3339),
		Labels:    v.Labels,
		Options:   v.Options,
		Scope:     "local",
	}
}

// VolumeList is GET /volumes; there are never warnings for local volumes.
func (s *Service) VolumeList(_ context.Context, f filters.Args) ([]volumetypes.Volume, []string, error) {
	vs, err := s.List(f)
	if err != nil {
		return nil, nil, err
	}
	out := make([]volumetypes.Volume, 0, len(vs))
	for _, v := range vs {
		out = append(out, APIVolume(v))
	}
	return out, nil, nil
}

// VolumeInspect is GET /volumes/{name}.
func (s *Service) VolumeInspect(_ context.Context, name string) (*volumetypes.Volume, error) {
	v, err := s.Get(name)
	if err != nil {
		return nil, err
	}
	av := APIVolume(v)
	return &av, nil
}

// VolumeCreate is POST /volumes/create (local volumes only).
func (s *Service) VolumeCreate(ctx context.Context, req volumetypes.CreateRequest) (*volumetypes.Volume, error) {
	v, err := s.Create(ctx, req.Name, req.Driver, req.DriverOpts, req.Labels)
	if err != nil {
		return nil, err
	}
	av := APIVolume(v)
	return &av, nil
}

// VolumeRemove is DELETE /volumes/{name}.
func (s *Service) VolumeRemove(ctx context.Context, name string, force bool) error {
	return s.Remove(ctx, name, force)
}

// VolumesPrune is POST /volumes/prune.
func (s *Service) VolumesPrune(ctx context.Context, f filters.Args) (*volumetypes.PruneReport, error) {
	deleted, reclaimed, err := s.Prune(ctx, f)
	if err != nil {
		return nil, err
	}
	return &volumetypes.PruneReport{VolumesDeleted: deleted, SpaceReclaimed: reclaimed}, nil
}

// DiskUsage is the volume part of GET /system/df, computed like Docker:
// volumes created with mount options are left out (their data is not
// local), a volume no container references is reclaimable, and Items
// (with UsageData) are only filled when verbose.
func (s *Service) DiskUsage(ctx context.Context, verbose bool) (*volumetypes.DiskUsage, error) {
	vs, err := s.List(filters.NewArgs())
	if err != nil {
		return nil, err
	}
	// Volumes with mount options are left out: their data is not local.
	local := vs[:0]
	for _, v := range vs {
		if len(v.Options) == 0 {
			local = append(local, v)
		}
	}
	sz, err := sizes(ctx, local)
	if err != nil {
		return nil, err
	}
	du := &volumetypes.DiskUsage{}
	for i, v := range local {
		size := sz[i]
		refs := int64(len(s.Refs(v.Name)))
		du.TotalCount++
		// Docker counts a volume of unknown size as active.
		if refs > 0 || size == -1 {
			du.ActiveCount++
		}
		if size != -1 {
			du.TotalSize += size
			if refs == 0 {
				du.Reclaimable += size
			}
		}
		if verbose {
			av := APIVolume(v)
			av.UsageData = &volumetypes.UsageData{Size: size, RefCount: refs}
			du.Items = append(du.Items, av)
		}
	}
	return du, nil
}
