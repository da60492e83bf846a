package image

import (
	"context"
	"io"

	"github.com/berth-project/berth/internal/filters"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/registry"
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
}

// DistributionBackend is what the registry routes need (pull, push,
// login); implemented by package distribution.
type DistributionBackend interface {
	PullImage(ctx context.Context, req PullRequest, out io.Writer) error
	PushImage(ctx context.Context, req PushRequest, out io.Writer) error
	Login(ctx context.Context, auth registry.AuthConfig) (registry.AuthResponse, error)
}

// PullRequest is POST /images/create?fromImage=: Tag empty means every
// tag of the repository (docker pull -a); a digest may come in either.
type PullRequest struct {
	Image    string
	Tag      string
	Platform string // os[/arch[/variant]], "" for the daemon's own
	Auth     *registry.AuthConfig
}

// PushRequest is POST /images/{name}/push: Tag empty means every tag.
type PushRequest struct {
	Image    string
	Tag      string
	Platform string // JSON OCI platform (API 1.46+), "" for all
	Auth     *registry.AuthConfig
}

// ListOptions are the query parameters of GET /images/json.
type ListOptions struct {
	All        bool
	Filters    filters.Args
	SharedSize bool
	Digests    bool
}
