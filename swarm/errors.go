package swarm

import (
	"fmt"

	"github.com/berth-project/berth/internal/errdefs"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// grpcErr classes a control API error for the HTTP mapping and keeps
// swarmkit's text ("rpc error: code = ... desc = ..."), which is what
// dockerd shows.
func grpcErr(err error) error {
	if err == nil {
		return nil
	}
	s, ok := status.FromError(err)
	if !ok {
		return err
	}
	msg := err.Error()
	switch s.Code() {
	case codes.InvalidArgument:
		return errdefs.InvalidParameter("%s", msg)
	case codes.NotFound:
		return errdefs.NotFound("%s", msg)
	case codes.AlreadyExists:
		return errdefs.Conflict("%s", msg)
	case codes.PermissionDenied:
		return errdefs.Forbidden("%s", msg)
	case codes.FailedPrecondition:
		return errdefs.InvalidParameter("%s", msg)
	case codes.Unavailable:
		return errdefs.Unavailable("%s", msg)
	case codes.Unimplemented:
		return errdefs.NotImplemented("%s", msg)
	case codes.DeadlineExceeded, codes.Canceled:
		return errdefs.Unavailable("%s", msg)
	}
	return fmt.Errorf("%s", msg)
}
