package daemon

import (
	"context"
	"io"

	"github.com/berth-project/berth/builder"
	"github.com/berth-project/berth/internal/filters"
	"github.com/moby/moby/api/types/build"
)

// Build implements POST /build with the classic builder.
func (d *Daemon) Build(ctx context.Context, opts *builder.Options, body io.Reader, out io.Writer) error {
	return d.builder.Build(ctx, opts, body, out)
}

// BuildCachePrune implements POST /build/prune: the builder's step cache
// and the intermediate images only it kept.
func (d *Daemon) BuildCachePrune(ctx context.Context, all bool, f filters.Args) (*build.CachePruneReport, error) {
	return d.builder.Prune(ctx, all, f)
}
