package system

import (
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/api/types/volume"
)

// legacyDF is the /system/df body before API 1.52 (what docker CLI 28
// and docker-py read): flat item lists and the total layer size. Like
// dockerd's, the lists are null for kinds not asked for and never omitted,
// since docker-py indexes df()['Volumes'] and so on.
type legacyDF struct {
	LayersSize int64
	Images     []image.Summary
	Containers []container.Summary
	Volumes    []volume.Volume
	BuildCache []build.CacheRecord
	// BuilderSize is the build cache total that API 1.41 and older carry.
	BuilderSize *int64 `json:",omitempty"`
}

func legacyDiskUsage(du *system.DiskUsage) legacyDF {
	var out legacyDF
	if u := du.ImageUsage; u != nil {
		out.LayersSize, out.Images = u.TotalSize, nonNil(u.Items)
	}
	if u := du.ContainerUsage; u != nil {
		out.Containers = nonNil(u.Items)
	}
	if u := du.VolumeUsage; u != nil {
		out.Volumes = nonNil(u.Items)
	}
	if u := du.BuildCacheUsage; u != nil {
		out.BuildCache = u.Items
	}
	return out
}

// transitionalDF is the API 1.52 body: the per-kind usage and, without
// verbose, the legacy fields too, so clients can move over.
type transitionalDF struct {
	*system.DiskUsage
	LayersSize int64               `json:",omitempty"`
	Images     []image.Summary     `json:",omitempty"`
	Containers []container.Summary `json:",omitempty"`
	Volumes    []volume.Volume     `json:",omitempty"`
	BuildCache []build.CacheRecord `json:",omitempty"`
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// stripItems keeps only the totals, as API 1.52+ answers without verbose.
func stripItems(du *system.DiskUsage) {
	if du.ImageUsage != nil {
		du.ImageUsage.Items = nil
	}
	if du.ContainerUsage != nil {
		du.ContainerUsage.Items = nil
	}
	if du.VolumeUsage != nil {
		du.VolumeUsage.Items = nil
	}
	if du.BuildCacheUsage != nil {
		du.BuildCacheUsage.Items = nil
	}
}
