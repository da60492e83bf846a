package volume

import (
	"context"
	"sync"

	"github.com/berth-project/berth/internal/dirsize"
)

// Size is the bytes used under the volume's _data, counted like Docker's
// directory.Size (see internal/dirsize): apparent sizes, hard-linked
// files once, directories and symlink targets not counted.
func (s *Service) Size(name string) (int64, error) {
	v, err := s.Get(name)
	if err != nil {
		return 0, err
	}
	return dirsize.Size(context.Background(), v.Mountpoint)
}

// sizeWorkers walk volumes concurrently: a walk is mostly system calls on
// cached metadata, so a few run side by side even on a small host, and
// more would only queue for the same cores.
const sizeWorkers = 4

// sizes returns the size of each volume's _data, -1 where it cannot be
// measured (Docker's "not available"). It stops early when ctx ends.
func sizes(ctx context.Context, vs []*Volume) ([]int64, error) {
	out := make([]int64, len(vs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(sizeWorkers, len(vs)) {
		wg.Go(func() {
			for i := range next {
				n, err := dirsize.Size(ctx, vs[i].Mountpoint)
				if err != nil {
					n = -1
				}
				out[i] = n
			}
		})
	}
	var err error
	for i := range vs {
		if err = ctx.Err(); err != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err == nil {
		err = ctx.Err()
	}
	return out, err
}
