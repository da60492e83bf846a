package fake

import (
	"context"

	srouter "github.com/berth-project/berth/apiserver/router/system"
	"github.com/berth-project/berth/events"
	"github.com/berth-project/berth/internal/filters"
	"github.com/moby/moby/api/types/system"
)

// System is a fake system backend over a real events.Bus.
type System struct {
	Bus *events.Bus
}

// NewSystem returns a backend with an empty bus.
func NewSystem() *System { return &System{Bus: events.New()} }

func (s *System) SystemInfo(ctx context.Context) (*system.Info, error) {
	return &system.Info{ID: "fake", Name: "berth-test", OSType: "linux", ServerVersion: "0.0.0-test"}, nil
}

func (s *System) SystemVersion(ctx context.Context) (system.VersionResponse, error) {
	return system.VersionResponse{Version: "0.0.0-test", KernelVersion: "6.0"}, nil
}

func (s *System) SystemDiskUsage(ctx context.Context, _ srouter.DiskUsageOptions) (*system.DiskUsage, error) {
	return &system.DiskUsage{}, nil
}

func (s *System) SubscribeEvents(since, until events.Time, f filters.Args) ([]events.Message, <-chan events.Message, func()) {
	return s.Bus.Subscribe(since, until, f)
}
