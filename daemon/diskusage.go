package daemon

import (
	"context"
	"errors"
	"sync"

	containerrouter "github.com/berth-project/berth/apiserver/router/container"
	imagerouter "github.com/berth-project/berth/apiserver/router/image"
	systemrouter "github.com/berth-project/berth/apiserver/router/system"
	"github.com/berth-project/berth/internal/filters"
	containertypes "github.com/moby/moby/api/types/container"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/system"
	volumetypes "github.com/moby/moby/api/types/volume"
	digest "github.com/opencontainers/go-digest"
)

// SystemDiskUsage implements GET /system/df. RECLAIMABLE follows Docker:
// stopped containers' writable layers, unused images' unshared bytes,
// unused volumes (the volume store's DiskUsage) and the builder's step
// cache.
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
			ctrs, errs[0] = d.lifecycle.ContainerList(ctx, containerrouter.ListOptions{All: true, Filters: filters.NewArgs()})
			if errs[0] == nil && opts.Containers {
				errs[0] = d.containerSizes(ctx, ctrs)
			}
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
		// Items always: the router drops them unless asked (verbose) and
		// the pre-1.52 body needs them.
		wg.Go(func() { vu, errs[2] = d.volumes.DiskUsage(ctx, true) })
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
		var err error
		if du.BuildCacheUsage, err = d.builder.DiskUsage(ctx); err != nil {
			return nil, err
		}
	}
	return du, nil
}

// sizeWorkers is how many writable layers are walked at once: a walk is
// mostly system calls on cached metadata, so a few overlap well even on a
// small host, and more would only queue for the same cores.
const sizeWorkers = 4

// containerSizes fills SizeRw and SizeRootFs as `ps -s` does, walking the
// writable layers concurrently; each image's size is looked up once.
func (d *Daemon) containerSizes(ctx context.Context, ctrs []containertypes.Summary) error {
	imgSize := map[string]int64{}
	for _, c := range ctrs {
		if _, ok := imgSize[c.ImageID]; !ok {
			imgSize[c.ImageID], _ = d.images.Size(digest.Digest(c.ImageID))
		}
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(sizeWorkers, len(ctrs)) {
		wg.Go(func() {
			for i := range next {
				rw, _ := d.layers.RWSize(ctrs[i].ID)
				ctrs[i].SizeRw, ctrs[i].SizeRootFs = rw, rw+imgSize[ctrs[i].ImageID]
			}
		})
	}
	var err error
	for i := range ctrs {
		if err = ctx.Err(); err != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return err
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
