package image

import (
	"context"
	"io"

	"github.com/berth-project/berth/internal/filters"
	"github.com/moby/moby/api/types/image"
)

// Backend is everything the image routes need; implemented by the image
// package's Service. Streams of progress are written to out as Docker's
// JSON messages (jsonstream.Message), one object per line.
type Backend interface {
	Images(ctx context.Context, opts ListOptions) ([]image.Summary, error)
	ImageInspect(ctx context.Context, ref string) (*image.InspectResponse, error)
	ImageHistory(ctx context.Context, ref string) ([]image.HistoryResponseItem, error)
	ImageTag(ctx context.Context, source, repo, tag string) error
	ImageDelete(ctx context.Context, ref string, force, noPrune bool) ([]image.DeleteResponse, error)
	ImagesPrune(ctx context.Context, f filters.Args) (*image.PruneReport, error)
	// LoadImage reads a docker-archive or OCI-layout tar.
	LoadImage(ctx context.Context, in io.Reader, out io.Writer, quiet bool) error
	// ExportImage writes a docker-archive (with OCI layout) of the named images.
	ExportImage(ctx context.Context, names []string, out io.Writer) error
	// ImportImage creates a single-layer image from a rootfs tarball
	// (optionally gzip/bzip2/xz compressed).
	ImportImage(ctx context.Context, in io.Reader, repo, tag, message string, changes []string, out io.Writer) error
	// PullImage and PushImage need the distribution package (a later issue);
	// until then they return errdefs.NotImplemented.
	PullImage(ctx context.Context, ref, tag string, out io.Writer) error
	PushImage(ctx context.Context, ref, tag string, out io.Writer) error
}

// ListOptions are the query parameters of GET /images/json.
type ListOptions struct {
	All        bool
	Filters    filters.Args
	SharedSize bool
	Digests    bool
}
