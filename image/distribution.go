package image

import (
	"context"
	"io"

	"github.com/berth-project/berth/internal/errdefs"
)

// PullImage needs a registry client (the later distribution issue).
func (s *Service) PullImage(ctx context.Context, ref, tag string, out io.Writer) error {
	return errdefs.NotImplemented("pull is not implemented yet: registry access comes with the distribution issue; use docker load or docker import")
}

// PushImage needs a registry client (the later distribution issue).
func (s *Service) PushImage(ctx context.Context, ref, tag string, out io.Writer) error {
	return errdefs.NotImplemented("push is not implemented yet: registry access comes with the distribution issue; use docker save")
}
