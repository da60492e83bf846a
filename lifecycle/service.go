// Package lifecycle runs containers: it implements the container and exec
// parts of the Engine API (apiserver/router/container.Backend) by driving
// records (package container), the image and layer stores, the network
// manager, OCI spec generation and the per-container shims.
package lifecycle

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	containerrouter "github.com/berth-project/berth/apiserver/router/container"
	"github.com/berth-project/berth/container"
	"github.com/berth-project/berth/events"
	"github.com/berth-project/berth/image"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/layer"
	"github.com/berth-project/berth/network"
	"github.com/berth-project/berth/network/dns"
	"github.com/berth-project/berth/shim/client"
	containertypes "github.com/moby/moby/api/types/container"
	eventtypes "github.com/moby/moby/api/types/events"
)

// RuntimeSpec names an OCI runtime: "" Path means the embedded
// libcontainer inside berth-shim.
type RuntimeSpec struct {
	Path string
	Args []string
}

// Config is what the service needs from the daemon configuration.
type Config struct {
	DataRoot       string
	ExecRoot       string
	ShimPath       string
	Runtimes       map[string]RuntimeSpec // name -> runtime; always has "berth"
	DefaultRuntime string
	LogDriver      string
	LogOpts        map[string]string
	DNS            []string // daemon --dns
	DNSSearch      []string // daemon --dns-search
	DNSOptions     []string // daemon --dns-opt
	InitPath       string   // static init for --init ("" if none installed)
	CgroupParent   string   // e.g. "/berth"
	HostResolvConf string   // normally /etc/resolv.conf
	// Init is the daemon's --init: containers that do not say run with
	// an init.
	Init bool
	// Observe, when set, times container actions (metrics).
	Observe func(action string, since time.Time)
	// HealthChecked, when set, counts health probes (metrics).
	HealthChecked func(failed bool)
}

// Service implements containerrouter.Backend.
type Service struct {
	cfg    Config
	store  *container.Store
	images *image.Service
	layers *layer.Store
	net    *network.Manager // nil when the default bridge is disabled
	// swarmNets: the cluster's networks (swarmnets.go); nil outside swarm.
	swarmNets SwarmNetworks
	events    *events.Bus
	vols      Volumes // nil: volume mounts answer not implemented

	// stopping is set once the daemon shuts down: exits then are not
	// restarts nor manual stops.
	stopping atomic.Bool

	mu      sync.Mutex
	shims   map[string]*client.Shim
	execs   map[string]*execConfig
	pending map[string][]*pendingAttach // attaches waiting for start
	dns     map[string]*dns.Server      // embedded DNS per container
	probes  map[string]chan struct{}    // health monitors: closed to stop
	// shippers follow the logs of containers on remote log drivers.
	shippers map[string]*shipper
}

var _ containerrouter.Backend = (*Service)(nil)

// New builds the service. Call Restore once before serving.
func New(cfg Config, store *container.Store, images *image.Service, layers *layer.Store, net *network.Manager, bus *events.Bus, vols Volumes) (*Service, error) {
	for _, dir := range []string{cfg.containersDir(), cfg.bundlesDir(), cfg.netnsDir(), cfg.runtimeRoot()} {
		if err := os.MkdirAll(dir, 0o711); err != nil {
			return nil, err
		}
	}
	if cfg.HostResolvConf == "" {
		cfg.HostResolvConf = "/etc/resolv.conf"
	}
	return &Service{
		cfg: cfg, store: store, images: images, layers: layers, net: net, events: bus, vols: vols,
		shims:    map[string]*client.Shim{},
		execs:    map[string]*execConfig{},
		pending:  map[string][]*pendingAttach{},
		dns:      map[string]*dns.Server{},
		probes:   map[string]chan struct{}{},
		shippers: map[string]*shipper{},
	}, nil
}

func (c Config) containersDir() string { return filepath.Join(c.DataRoot, "containers") }
func (c Config) bundlesDir() string    { return filepath.Join(c.ExecRoot, "containers") }
func (c Config) netnsDir() string      { return filepath.Join(c.ExecRoot, "netns") }
func (c Config) runtimeRoot() string   { return filepath.Join(c.ExecRoot, "runtime") }

func (s *Service) containerDir(id string) string { return filepath.Join(s.cfg.containersDir(), id) }
func (s *Service) bundleDir(id string) string    { return filepath.Join(s.cfg.bundlesDir(), id) }
func (s *Service) netnsPath(id string) string    { return filepath.Join(s.cfg.netnsDir(), id) }

// ContainersUsing lists containers created from imageID (for the image
// service's rmi conflicts and counts).
func (s *Service) ContainersUsing(imageID string) []string {
	var ids []string
	for _, c := range s.store.List() {
		c.Lock()
		if c.ImageID == imageID {
			ids = append(ids, c.ID)
		}
		c.Unlock()
	}
	return ids
}

// observe times an action for the metrics.
func (s *Service) observe(action string, since time.Time) {
	if s.cfg.Observe != nil {
		s.cfg.Observe(action, since)
	}
}

// ContainerStates counts containers as Docker's metrics do.
func (s *Service) ContainerStates() map[string]int {
	out := map[string]int{}
	for _, c := range s.store.List() {
		c.Lock()
		switch c.State.Status {
		case containertypes.StateRunning:
			out["running"]++
		case containertypes.StatePaused:
			out["paused"]++
		default:
			out["stopped"]++
		}
		c.Unlock()
	}
	return out
}

func (s *Service) get(ref string) (*container.Container, error) { return s.store.Get(ref) }

func (s *Service) shim(id string) *client.Shim {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shims[id]
}

// logEvent records a container event with Docker's attributes: the
// container's labels, name and image.
func (s *Service) logEvent(c *container.Container, action eventtypes.Action, extra map[string]string) {
	attrs := map[string]string{"name": trimSlash(c.Name), "image": c.Image}
	if c.Config != nil {
		for k, v := range c.Config.Labels {
			attrs[k] = v
		}
	}
	for k, v := range extra {
		attrs[k] = v
	}
	s.events.Log(eventtypes.ContainerEventType, action, c.ID, attrs)
}

func trimSlash(name string) string {
	if len(name) > 0 && name[0] == '/' {
		return name[1:]
	}
	return name
}

// Shutdown stops running containers (no live-restore) or just drops shim
// connections (live-restore).
func (s *Service) Shutdown(ctx context.Context, liveRestore bool) {
	s.stopping.Store(true)
	for _, c := range s.store.List() {
		c.Lock()
		c.CancelRestart()
		c.Unlock()
	}
	if liveRestore {
		s.mu.Lock()
		for _, sh := range s.shims {
			sh.Close()
		}
		s.mu.Unlock()
		return
	}
	defer s.removeCgroupParent()
	var wg sync.WaitGroup
	for _, c := range s.store.List() {
		c.Lock()
		running := c.IsRunning()
		c.Unlock()
		if !running {
			continue
		}
		wg.Add(1)
		go func(c *container.Container) {
			defer wg.Done()
			_ = s.ContainerStop(ctx, c.ID, "", nil)
		}(c)
	}
	wg.Wait()
}

// SetDefaultRuntime switches the runtime of containers that name none
// (a configuration reload).
func (s *Service) SetDefaultRuntime(name string) error {
	if _, ok := s.cfg.Runtimes[name]; !ok {
		return errdefs.InvalidParameter("unknown or invalid runtime name: %s", name)
	}
	s.mu.Lock()
	s.cfg.DefaultRuntime = name
	s.mu.Unlock()
	return nil
}

// AnyRunning reports whether a container runs (or is paused).
func (s *Service) AnyRunning() bool {
	for _, c := range s.store.List() {
		c.Lock()
		running := c.IsRunning()
		c.Unlock()
		if running {
			return true
		}
	}
	return false
}

// removeCgroupParent removes the (by then empty) parent cgroup that the
// runtime created for our containers in every hierarchy; rmdir fails
// harmlessly while a container still lives in it.
func (s *Service) removeCgroupParent() {
	if s.cfg.CgroupParent == "" || s.cfg.CgroupParent == "/" {
		return
	}
	for _, d := range cgroupDirs(s.cfg.CgroupParent) {
		_ = os.Remove(d)
	}
}
