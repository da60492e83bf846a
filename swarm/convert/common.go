// Package convert translates between the Engine API's swarm types
// (github.com/moby/moby/api/types/swarm) and SwarmKit's protobuf objects.
// Validation errors are worded as dockerd's.
package convert

import (
	"fmt"
	"time"

	gogotypes "github.com/gogo/protobuf/types"
	types "github.com/moby/moby/api/types/swarm"
	"github.com/moby/swarmkit/v2/api"
)

func meta(v api.Meta) types.Meta {
	m := types.Meta{Version: types.Version{Index: v.Version.Index}}
	m.CreatedAt, _ = gogotypes.TimestampFromProto(v.CreatedAt)
	m.UpdatedAt, _ = gogotypes.TimestampFromProto(v.UpdatedAt)
	return m
}

func annotations(a api.Annotations) types.Annotations {
	return types.Annotations{Name: a.Name, Labels: a.Labels}
}

func annotationsToGRPC(a types.Annotations) api.Annotations {
	return api.Annotations{Name: a.Name, Labels: a.Labels}
}

func durationPtr(d *gogotypes.Duration) *time.Duration {
	if d == nil {
		return nil
	}
	v, err := gogotypes.DurationFromProto(d)
	if err != nil {
		return nil
	}
	return &v
}

func durationProto(d *time.Duration) *gogotypes.Duration {
	if d == nil {
		return nil
	}
	return gogotypes.DurationProto(*d)
}

func durationOf(d *gogotypes.Duration) time.Duration {
	if d == nil {
		return 0
	}
	v, _ := gogotypes.DurationFromProto(d)
	return v
}

func timePtr(ts *gogotypes.Timestamp) *time.Time {
	if ts == nil {
		return nil
	}
	t, err := gogotypes.TimestampFromProto(ts)
	if err != nil {
		return nil
	}
	return &t
}

func timeOf(ts *gogotypes.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	t, _ := gogotypes.TimestampFromProto(ts)
	return t
}

func driver(d *api.Driver) *types.Driver {
	if d == nil {
		return nil
	}
	return &types.Driver{Name: d.Name, Options: d.Options}
}

func driverToGRPC(d *types.Driver) *api.Driver {
	if d == nil {
		return nil
	}
	return &api.Driver{Name: d.Name, Options: d.Options}
}

type invalidError struct{ msg string }

func (e invalidError) Error() string { return e.msg }

func errInvalid(format string, args ...any) error {
	return invalidError{fmt.Sprintf(format, args...)}
}
