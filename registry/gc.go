package registry

import (
	"context"
	"fmt"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/storage"
	"github.com/distribution/distribution/v3/registry/storage/driver/factory"
)

// GCOptions select what a collection removes.
type GCOptions struct {
	DryRun         bool // report, remove nothing
	DeleteUntagged bool // also manifests no tag points at
}

// GC marks every blob reachable from the manifests of every repository and
// sweeps the rest (distribution's MarkAndSweep). Run it while no push is
// in progress: an upload committed between mark and sweep would be lost,
// which is why distribution itself documents gc as an offline operation.
func GC(ctx context.Context, cfg *configuration.Configuration, opts GCOptions) error {
	drv, err := factory.Create(ctx, cfg.Storage.Type(), cfg.Storage.Parameters())
	if err != nil {
		return fmt.Errorf("registry gc: storage %s: %w", cfg.Storage.Type(), err)
	}
	ns, err := storage.NewRegistry(ctx, drv)
	if err != nil {
		return fmt.Errorf("registry gc: %w", err)
	}
	err = storage.MarkAndSweep(ctx, drv, ns, storage.GCOpts{DryRun: opts.DryRun, RemoveUntagged: opts.DeleteUntagged})
	if err != nil {
		return fmt.Errorf("registry gc: %w", err)
	}
	return nil
}
