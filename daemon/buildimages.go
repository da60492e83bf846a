package daemon

import (
	"context"
	"io"

	imagerouter "github.com/berth-project/berth/apiserver/router/image"
	"github.com/berth-project/berth/distribution"
	"github.com/berth-project/berth/image"
)

// buildImages is the image store as the builder sees it: local images,
// and pulls (FROM an image that is missing, --pull) through distribution
// with the daemon's registry settings.
type buildImages struct {
	*image.Service
	dist *distribution.Service
}

func (b buildImages) PullImage(ctx context.Context, ref, tag string, out io.Writer) error {
	return b.dist.PullImage(ctx, imagerouter.PullRequest{Image: ref, Tag: tag}, out)
}
