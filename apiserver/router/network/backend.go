package network

import (
	"context"

	"github.com/berth-project/berth/internal/filters"
	"github.com/moby/moby/api/types/network"
)

// Backend is everything the network routes need. The router has already
// validated filter names and values, decoded the bodies, applied
// the API-version rules and defaulted an empty Driver to "bridge"; the
// backend owns name/ID resolution ("network %s not found" as NotFound,
// ambiguity as InvalidParameter), the pre-defined network rules and the
// meaning of each filter.
type Backend interface {
	// NetworkList answers GET /networks. Accepted filters: dangling,
	// driver, id, label, name, scope, type (custom|builtin).
	NetworkList(ctx context.Context, f filters.Args) ([]network.Summary, error)
	// NetworkInspect answers GET /networks/{id}; scope is "" or the scope
	// the network must have (local, swarm, global).
	NetworkInspect(ctx context.Context, idOrName string, verbose bool, scope string) (network.Inspect, error)
	NetworkCreate(ctx context.Context, req network.CreateRequest) (network.CreateResponse, error)
	NetworkRemove(ctx context.Context, idOrName string) error
	// NetworkConnect's req.EndpointConfig may be nil.
	NetworkConnect(ctx context.Context, idOrName string, req network.ConnectRequest) error
	NetworkDisconnect(ctx context.Context, idOrName string, req network.DisconnectRequest) error
	// NetworksPrune removes unused custom networks. Accepted filters:
	// until (a timestamp or duration as the CLI sends it, at most one),
	// label, label!.
	NetworksPrune(ctx context.Context, f filters.Args) (network.PruneReport, error)
}
