package swarm

import (
	"context"

	"github.com/berth-project/berth/apiserver/router/container"
	"github.com/berth-project/berth/internal/filters"
	"github.com/moby/moby/api/types/swarm"
)

// Backend is everything the swarm routes (/swarm, /nodes, /services,
// /tasks, /secrets, /configs) need; implemented by package swarm's Cluster.
// Errors carry internal/errdefs classes with dockerd's wording:
// "This node is not a swarm manager. Use \"docker swarm init\" or \"docker
// swarm join\" to connect this node to swarm and try again." (503,
// errdefs.Unavailable), "service x not found" (404), "rpc error: ... update
// out of sequence" (409 errdefs.Conflict), and so on.
type Backend interface {
	// Init creates a single-node cluster and returns the node ID.
	Init(ctx context.Context, req swarm.InitRequest) (string, error)
	Join(ctx context.Context, req swarm.JoinRequest) error
	Leave(ctx context.Context, force bool) error
	// Inspect is GET /swarm (managers only).
	Inspect(ctx context.Context) (swarm.Swarm, error)
	Update(ctx context.Context, version uint64, spec swarm.Spec, flags UpdateFlags) error
	GetUnlockKey(ctx context.Context) (string, error)
	Unlock(ctx context.Context, req swarm.UnlockRequest) error
	// Info is the Swarm section of GET /info; it never fails.
	Info(ctx context.Context) swarm.Info

	GetNodes(ctx context.Context, f filters.Args) ([]swarm.Node, error)
	GetNode(ctx context.Context, idOrName string) (swarm.Node, error)
	UpdateNode(ctx context.Context, idOrName string, version uint64, spec swarm.NodeSpec) error
	RemoveNode(ctx context.Context, idOrName string, force bool) error

	// GetServices lists services; status fills ServiceStatus (?status=1).
	GetServices(ctx context.Context, f filters.Args, status bool) ([]swarm.Service, error)
	GetService(ctx context.Context, idOrName string, insertDefaults bool) (swarm.Service, error)
	// CreateService: encodedAuth is the X-Registry-Auth header as sent.
	CreateService(ctx context.Context, spec swarm.ServiceSpec, encodedAuth string) (*swarm.ServiceCreateResponse, error)
	UpdateService(ctx context.Context, idOrName string, version uint64, spec swarm.ServiceSpec, opts ServiceUpdateOptions) (*swarm.ServiceUpdateResponse, error)
	RemoveService(ctx context.Context, idOrName string) error
	// ServiceLogs streams the logs of a service's or a task's containers;
	// Attrs of each message carry com.docker.swarm.node.id, .service.id and
	// .task.id as dockerd's details do. The channel closes at the end
	// (or when ctx ends with Follow).
	ServiceLogs(ctx context.Context, sel LogSelector, opts container.LogsOptions) (<-chan *container.LogMessage, error)

	GetTasks(ctx context.Context, f filters.Args) ([]swarm.Task, error)
	GetTask(ctx context.Context, id string) (swarm.Task, error)

	GetSecrets(ctx context.Context, f filters.Args) ([]swarm.Secret, error)
	GetSecret(ctx context.Context, idOrName string) (swarm.Secret, error)
	CreateSecret(ctx context.Context, spec swarm.SecretSpec) (string, error)
	UpdateSecret(ctx context.Context, idOrName string, version uint64, spec swarm.SecretSpec) error
	RemoveSecret(ctx context.Context, idOrName string) error

	GetConfigs(ctx context.Context, f filters.Args) ([]swarm.Config, error)
	GetConfig(ctx context.Context, idOrName string) (swarm.Config, error)
	CreateConfig(ctx context.Context, spec swarm.ConfigSpec) (string, error)
	UpdateConfig(ctx context.Context, idOrName string, version uint64, spec swarm.ConfigSpec) error
	RemoveConfig(ctx context.Context, idOrName string) error
}

// UpdateFlags are the query flags of POST /swarm/update.
type UpdateFlags struct {
	RotateWorkerToken      bool
	RotateManagerToken     bool
	RotateManagerUnlockKey bool
}

// ServiceUpdateOptions are the query parameters and header of
// POST /services/{id}/update.
type ServiceUpdateOptions struct {
	EncodedRegistryAuth string // X-Registry-Auth
	RegistryAuthFrom    string // "spec" (default) or "previous-spec"
	Rollback            string // "previous" for `service rollback`/`update --rollback`
}

// LogSelector is the service or task whose logs are wanted.
type LogSelector struct {
	Services []string
	Tasks    []string
}
