package daemon

import (
	"context"
	"errors"
	"runtime"
	"sync"

	containerrouter "github.com/berth-project/berth/apiserver/router/container"
	imagerouter "github.com/berth-project/berth/apiserver/router/image"
	systemrouter "github.com/berth-project/berth/apiserver/router/system"
	"github.com/berth-project/berth/internal/filters"
	"github.com/berth-project/berth/volume"
	"github.com/moby/moby/api/types/build"
	containertypes "github.com/moby/moby/api/types/container"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/system"
	volumetypes "github.com/moby/moby/api/types/volume"
)

// SystemDiskUsage implements GET /system/df. RECLAIMABLE follows Docker:
// stopped containers' writable layers, unused images' unshared bytes and
// unused volumes. berth has no build cache yet, so that section is empty.
func (d *Daemon) SystemDiskUsage(ctx context.Context, opts systemrouter.DiskUsageOptions) (*system.DiskUsage, error) {
	// The three kinds walk different directories: size them in parallel.
	var (
		wg         sync.WaitGroup
		ctrs       []containertypes.Summary
		imgs       []imagetypes.Summary
		layersSize int64
		vu         *volumetypes.DiskUsage
		errs       [3]error
	)
	if opts.Containers || opts.Images {
		wg.Go(func() {
			ctrs, errs[0] = d.lifecycle.ContainerList(ctx, containerrouter.ListOptions{All: true, Size: opts.Containers, Filters: filters.NewArgs()})
		})
	}
	if opts.Images {
		wg.Go(func() {
			imgs, errs[1] = d.images.Images(ctx, imagerouter.ListOptions{All: true, SharedSize: true, Filters: filters.NewArgs()})
			if infos, err := d.layers.List(); err == nil {
				for _, l := range infos {
					layersSize += l.Size
				}
			}
		})
	}
	if opts.Volumes {
		wg.Go(func() { vu, errs[2] = volumeUsage(d.volumes) })
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	du := &system.DiskUsage{VolumeUsage: vu}
	if opts.Containers {
		du.ContainerUsage = containerUsage(ctrs)
	}
	if opts.Images {
		du.ImageUsage = imageUsage(imgs, layersSize, ctrs)
	}
	if opts.BuildCache {
		du.BuildCacheUsage = &build.DiskUsage{Items: []build.CacheRecord{}}
	}
	return du, nil
}

func containerUsage(ctrs []containertypes.Summary) *containertypes.DiskUsage {
	cu := &containertypes.DiskUsage{Items: ctrs, TotalCount: int64(len(ctrs))}
	for _, c := range ctrs {
		cu.TotalSize += c.SizeRw
		switch c.State {
		case containertypes.StateRunning, containertypes.StatePaused, containertypes.StateRestarting:
			cu.ActiveCount++
		default:
			cu.Reclaimable += c.SizeRw
		}
	}
	return cu
}

// imageUsage counts each image's containers; TotalSize is the layer
// store's size (shared layers once), reclaimable what removing the unused
// images would free (their unshared bytes).
func imageUsage(imgs []imagetypes.Summary, layersSize int64, ctrs []containertypes.Summary) *imagetypes.DiskUsage {
	uses := map[string]int64{}
	for _, c := range ctrs {
		uses[c.ImageID]++
	}
	iu := &imagetypes.DiskUsage{Items: imgs, TotalCount: int64(len(imgs)), TotalSize: layersSize}
	for i := range imgs {
		imgs[i].Containers = uses[imgs[i].ID]
		if imgs[i].Containers > 0 {
			iu.ActiveCount++
		} else {
			iu.Reclaimable += imgs[i].Size - max(imgs[i].SharedSize, 0)
		}
	}
	return iu
}

// volumeUsage sizes every volume (directory walks, a few at a time) and
// counts the containers referencing it.
func volumeUsage(vs *volume.Service) (*volumetypes.DiskUsage, error) {
	vols, err := vs.List(filters.NewArgs())
	if err != nil {
		return nil, err
	}
	items := make([]volumetypes.Volume, len(vols))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0)*2)
	for i, v := range vols {
		items[i] = volume.APIVolume(v)
		wg.Add(1)
		sem <- struct{}{}
		go func(i int, name string) {
			defer func() { <-sem; wg.Done() }()
			size, err := vs.Size(name)
			if err != nil {
				size = -1 // Docker's "unknown"
			}
			items[i].UsageData = &volumetypes.UsageData{Size: size, RefCount: int64(len(vs.Refs(name)))}
		}(i, v.Name)
	}
	wg.Wait()
	vu := &volumetypes.DiskUsage{Items: items, TotalCount: int64(len(items))}
	for _, v := range items {
		size := max(v.UsageData.Size, 0)
		vu.TotalSize += size
		if v.UsageData.RefCount > 0 {
			vu.ActiveCount++
		} else {
			vu.Reclaimable += size
		}
	}
	return vu, nil
}
