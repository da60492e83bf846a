// Package executor runs swarm tasks as containers: it is the swarmkit
// agent's exec.Executor, driving the same container operations as the
// Engine API's container routes, so a task container is an ordinary
// container to ps, logs, exec and inspect.
package executor

import (
	"context"
	"io"
	"net/netip"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	crouter "github.com/berth-project/berth/apiserver/router/container"
	imagerouter "github.com/berth-project/berth/apiserver/router/image"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/swarmkit/v2/agent"
	"github.com/moby/swarmkit/v2/agent/exec"
	"github.com/moby/swarmkit/v2/api"
)

// Containers is the subset of the container backend tasks need
// (implemented by lifecycle.Service).
type Containers interface {
	ContainerCreate(ctx context.Context, name string, req *container.CreateRequest) (container.CreateResponse, error)
	ContainerStart(ctx context.Context, name string) error
	ContainerStop(ctx context.Context, name string, signal string, timeout *int) error
	ContainerKill(ctx context.Context, name string, signal string) error
	ContainerRemove(ctx context.Context, name string, opts crouter.RemoveOptions) error
	ContainerWait(ctx context.Context, name string, cond container.WaitCondition) (<-chan crouter.WaitResult, error)
	ContainerInspect(ctx context.Context, name string, size bool) (*container.InspectResponse, error)
	ContainerLogs(ctx context.Context, name string, opts crouter.LogsOptions) (<-chan *crouter.LogMessage, bool, error)
}

// Images finds and pulls service images.
type Images interface {
	// Exists reports whether ref resolves to a local image.
	Exists(ref string) bool
	PullImage(ctx context.Context, req imagerouter.PullRequest, out io.Writer) error
}

// IngressPort is one routing-mesh port of a service.
type IngressPort struct {
	Proto     string // "tcp" or "udp"
	Published uint16
	Target    uint16
}

// Ingress is the node's routing-mesh load balancer (network.Manager).
type Ingress interface {
	AddIngressBackend(ctx context.Context, service string, ports []IngressPort, backend netip.Addr) error
	RemoveIngressBackend(ctx context.Context, service string, backend netip.Addr) error
}

// Config is what the executor needs from the daemon.
type Config struct {
	Containers Containers
	Images     Images
	Ingress    Ingress
	Overlay    Overlay
	// SecretsDir holds one tmpfs per task for its secrets and configs.
	SecretsDir    string
	Hostname      string
	EngineVersion string
	// Labels are the daemon's engine labels (node.labels of engine).
	Labels map[string]string
	// Plugins lists the drivers the scheduler may require of this node
	// ("Network": ["bridge", ...], "Volume": ["local"], "Log": [...]).
	Plugins map[string][]string
}

// Executor implements exec.Executor; it is also the agent's store of the
// secrets and configs assigned to this node.
type Executor struct {
	cfg  Config
	deps exec.DependencyManager

	mu   sync.Mutex
	node *api.NodeDescription
	// netUsers: overlay network ID -> IDs of the tasks using it here.
	netUsers   map[string]map[string]bool
	overlayGen atomic.Uint64
	changed    chan struct{}
}

// New returns an executor over cfg.
func New(cfg Config) *Executor {
	return &Executor{cfg: cfg, deps: agent.NewDependencyManager(nil), netUsers: map[string]map[string]bool{}, changed: make(chan struct{}, 1)}
}

// Describe reports this node to the managers: the scheduler filters on
// its resources, platform and plugins.
func (e *Executor) Describe(ctx context.Context) (*api.NodeDescription, error) {
	host := e.cfg.Hostname
	if host == "" {
		host, _ = os.Hostname()
	}
	var plugins []api.PluginDescription
	kinds := make([]string, 0, len(e.cfg.Plugins))
	for k := range e.cfg.Plugins {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		for _, n := range e.cfg.Plugins[k] {
			plugins = append(plugins, api.PluginDescription{Type: k, Name: n})
		}
	}
	d := &api.NodeDescription{
		Hostname: host,
		Platform: &api.Platform{Architecture: platformArch(), OS: runtime.GOOS},
		Resources: &api.Resources{
			NanoCPUs:    int64(runtime.NumCPU()) * 1e9,
			MemoryBytes: memTotal(),
		},
		Engine: &api.EngineDescription{
			EngineVersion: e.cfg.EngineVersion,
			Labels:        e.cfg.Labels,
			Plugins:       plugins,
		},
	}
	e.mu.Lock()
	e.node = d
	e.mu.Unlock()
	return d, nil
}

// Configure applies the node's own network attachments: its address on
// the ingress network (the routing mesh).
func (e *Executor) Configure(ctx context.Context, node *api.Node) error {
	return e.configureIngress(ctx, node)
}

// SetNetworkBootstrapKeys: no encrypted overlay (not implemented) needs them.
func (e *Executor) SetNetworkBootstrapKeys([]*api.EncryptionKey) error { return nil }

// Secrets and Configs make the agent hand us the objects tasks reference.
func (e *Executor) Secrets() exec.SecretsManager { return e.deps.Secrets() }

// Configs implements exec.ConfigsProvider.
func (e *Executor) Configs() exec.ConfigsManager { return e.deps.Configs() }

// Volumes implements exec.VolumesProvider (cluster volumes are not
// implemented; the manager is swarmkit's own, empty).
func (e *Executor) Volumes() exec.VolumesManager { return e.deps.Volumes() }

// Controller returns the controller of one task.
func (e *Executor) Controller(t *api.Task) (exec.Controller, error) {
	if t.Spec.GetContainer() == nil {
		return nil, exec.ErrRuntimeUnsupported
	}
	return newController(e, t, agent.Restrict(e.deps, t)), nil
}

func platformArch() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	}
	return runtime.GOARCH
}
