package system

import (
	"context"

	"github.com/berth-project/berth/events"
	"github.com/berth-project/berth/internal/filters"
	"github.com/moby/moby/api/types/system"
)

// Backend is what the system routes need; implemented by the daemon package.
type Backend interface {
	SystemInfo(ctx context.Context) (*system.Info, error)
	SystemVersion(ctx context.Context) (system.VersionResponse, error)
	// SystemDiskUsage returns the usage of the kinds opts selects, with
	// their items.
	SystemDiskUsage(ctx context.Context, opts DiskUsageOptions) (*system.DiskUsage, error)
	// SubscribeEvents returns past events in [since, until) matching f and,
	// when until is zero, a live channel; cancel releases it.
	SubscribeEvents(since, until events.Time, f filters.Args) (past []events.Message, live <-chan events.Message, cancel func())
}

// SwarmPinger is optionally implemented by the Backend: the Swarm header
// of /_ping ("inactive", "pending", "active/manager", "active/worker"),
// which the docker CLI uses to enable its swarm commands.
type SwarmPinger interface {
	SwarmPingStatus() string
}

// DiskUsageOptions selects what /system/df computes (sizes are costly).
type DiskUsageOptions struct {
	Containers, Images, Volumes, BuildCache bool
}
