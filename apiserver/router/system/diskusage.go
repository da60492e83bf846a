package system

import (
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/api/types/volume"
)

// legacyDF is the /system/df body before API 1.52 (what docker CLI 28
// reads): flat item lists and the total layer size.
type legacyDF struct {
	LayersSize int64               `json:"LayersSize,omitempty"`
	Images     []image.Summary     `json:"Images,omitempty"`
	Containers []container.Summary `json:"Containers,omitempty"`
	Volumes    []volume.Volume     `json:"Volumes,omitempty"`
	BuildCache []build.CacheRecord `json:"BuildCache,omitempty"`
}

func legacyDiskUsage(du *system.DiskUsage) legacyDF {
	var out legacyDF
	if u := du.ImageUsage; u != nil {
		out.LayersSize, out.Images = u.TotalSize, u.Items
	}
	if u := du.ContainerUsage; u != nil {
		out.Containers = u.Items
	}
	if u := du.VolumeUsage; u != nil {
		out.Volumes = u.Items
	}
	if u := du.BuildCacheUsage; u != nil {
		out.BuildCache = u.Items
	}
	return out
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
