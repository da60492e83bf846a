// Package daemon is the composition root: it opens the state database,
// builds the image, layer, network and container services, wires them to
// the API server and serves the configured sockets. It does no domain
// work itself.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/berth-project/berth/apiserver"
	buildrouter "github.com/berth-project/berth/apiserver/router/build"
	containerrouter "github.com/berth-project/berth/apiserver/router/container"
	imagerouter "github.com/berth-project/berth/apiserver/router/image"
	networkrouter "github.com/berth-project/berth/apiserver/router/network"
	"github.com/berth-project/berth/apiserver/router/notimpl"
	systemrouter "github.com/berth-project/berth/apiserver/router/system"
	volumerouter "github.com/berth-project/berth/apiserver/router/volume"
	"github.com/berth-project/berth/builder"
	"github.com/berth-project/berth/container"
	"github.com/berth-project/berth/daemon/config"
	"github.com/berth-project/berth/distribution"
	"github.com/berth-project/berth/events"
	"github.com/berth-project/berth/image"
	"github.com/berth-project/berth/layer"
	"github.com/berth-project/berth/lifecycle"
	"github.com/berth-project/berth/metrics"
	"github.com/berth-project/berth/network"
	"github.com/berth-project/berth/volume"
	eventtypes "github.com/moby/moby/api/types/events"
	digest "github.com/opencontainers/go-digest"
	bolt "go.etcd.io/bbolt"
)

// Version is the berth version reported by /version.
var Version = "0.1.0"

// Daemon holds the running services.
type Daemon struct {
	cfg       *config.Config
	log       *slog.Logger
	db        *bolt.DB
	events    *events.Bus
	layers    *layer.Store
	images    *image.Service
	dist      *distribution.Service
	net       *network.Manager
	lifecycle *lifecycle.Service
	volumes   *volume.Service
	builder   *builder.Builder
	store     *container.Store
	server    *apiserver.Server
	started   time.Time
	metrics   *metrics.Metrics
	reloadSrc *ReloadSource
	swarm     *swarmd
}

// New builds every service from cfg. On error everything opened is closed.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger) (_ *Daemon, retErr error) {
	d := &Daemon{cfg: cfg, log: log, events: events.New(), started: time.Now()}
	d.metrics = newMetrics(d)
	d.events.OnLog = func(events.Message) { d.metrics.Event() }
	defer func() {
		if retErr != nil {
			d.close()
		}
	}()
	for _, dir := range []string{cfg.DataRoot, cfg.ExecRoot} {
		if err := os.MkdirAll(dir, 0o711); err != nil {
			return nil, fmt.Errorf("create %s: %w", dir, err)
		}
	}
	db, err := bolt.Open(filepath.Join(cfg.DataRoot, "berth.db"), 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("data root %s is in use by another daemon", cfg.DataRoot)
		}
		return nil, fmt.Errorf("open state database: %w", err)
	}
	d.db = db
	if d.layers, err = layer.New(filepath.Join(cfg.DataRoot, "layers")); err != nil {
		return nil, err
	}
	if d.volumes, err = volume.New(filepath.Join(cfg.DataRoot, "volumes"), db); err != nil {
		return nil, err
	}
	d.volumes.SetEvents(func(action, name string, attrs map[string]string) {
		d.events.Log(eventtypes.VolumeEventType, eventtypes.Action(action), name, attrs)
	})
	if d.store, err = container.NewStore(db); err != nil {
		return nil, err
	}
	d.images, err = image.New(image.Options{
		Root:   filepath.Join(cfg.DataRoot, "image"),
		DB:     db,
		Layers: d.layers,
		ContainersUsing: func(id digest.Digest) []string {
			return d.lifecycle.ContainersUsing(id.String())
		},
		Events: func(action, id string, attrs map[string]string) {
			d.events.Log(eventtypes.ImageEventType, eventtypes.Action(action), id, attrs)
		},
	})
	if err != nil {
		return nil, err
	}
	d.dist, err = distribution.New(distribution.Options{
		InsecureRegistries: cfg.InsecureRegistries,
		Mirrors:            cfg.RegistryMirrors,
		MaxDownloads:       cfg.MaxConcurrentDownloads,
		MaxUploads:         cfg.MaxConcurrentUploads,
		CertsDirs:          cfg.CertsDirs,
		DB:                 db,
	}, d.images, filepath.Join(cfg.DataRoot, "image", "tmp"))
	if err != nil {
		return nil, err
	}
	// The manager runs with --bridge=none too: user-defined networks
	// still work without the default bridge.
	var pools []network.AddressPool
	for _, p := range cfg.DefaultAddressPools {
		pools = append(pools, network.AddressPool{Base: p.Base, Size: p.Size})
	}
	d.net, err = network.New(ctx, network.Config{BridgeName: cfg.Bridge, BridgeIP: cfg.Bip, MTU: cfg.MTU, NftTable: nftTable(cfg.Bridge),
		DNS: cfg.DNS, DNSSearch: cfg.DNSSearch, DNSOptions: cfg.DNSOptions, DB: db, StateDir: filepath.Join(cfg.DataRoot, "network"),
		DisableICC: !cfg.ICC, DisableIPForward: !cfg.IPForward, DisableIPTables: !cfg.IPTables,
		IPv6: cfg.IPv6, FixedCIDR: cfg.FixedCIDR, FixedCIDRv6: cfg.FixedCIDRv6, DefaultAddressPools: pools})
	if err != nil {
		return nil, fmt.Errorf("networking: %w", err)
	}
	shim, err := findShim()
	if err != nil {
		return nil, err
	}
	runtimes := map[string]lifecycle.RuntimeSpec{"berth": {}}
	for _, name := range []string{"runc", "crun"} {
		if p, err := exec.LookPath(name); err == nil {
			runtimes[name] = lifecycle.RuntimeSpec{Path: p}
		}
	}
	for name, rt := range cfg.Runtimes {
		runtimes[name] = lifecycle.RuntimeSpec{Path: rt.Path, Args: rt.RuntimeArgs}
	}
	if _, ok := runtimes[cfg.DefaultRuntime]; !ok {
		return nil, fmt.Errorf("default runtime %q is not configured", cfg.DefaultRuntime)
	}
	d.lifecycle, err = lifecycle.New(lifecycle.Config{
		DataRoot:       cfg.DataRoot,
		ExecRoot:       cfg.ExecRoot,
		ShimPath:       shim,
		Runtimes:       runtimes,
		DefaultRuntime: cfg.DefaultRuntime,
		LogDriver:      cfg.LogDriver,
		LogOpts:        cfg.LogOpts,
		DNS:            cfg.DNS,
		DNSSearch:      cfg.DNSSearch,
		DNSOptions:     cfg.DNSOptions,
		InitPath:       initPath(cfg.InitPath),
		Init:           cfg.Init,
		CgroupParent:   "/" + CgroupParent(cfg.ExecRoot),
		Observe:        d.metrics.ObserveAction,
		HealthChecked:  d.metrics.HealthCheck,
	}, d.store, d.images, d.layers, d.net, d.events, d.volumes)
	if err != nil {
		return nil, err
	}
	if err := setupRealtime(CgroupParent(cfg.ExecRoot), cfg.CPURealtimePeriod, cfg.CPURealtimeRuntime); err != nil {
		return nil, err
	}
	if err := d.lifecycle.Restore(ctx); err != nil {
		return nil, err
	}
	d.builder, err = builder.New(builder.Config{
		DB: db, Root: filepath.Join(cfg.DataRoot, "builder"),
		Images: buildImages{d.images, d.dist}, Layers: d.layers, Containers: d.lifecycle, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	d.swarm = newSwarmd(d)
	d.lifecycle.SetSwarmNetworks(swarmNetworks{d.swarm})
	d.server = apiserver.New(apiserver.Config{Version: Version, Debug: cfg.Debug, Logger: log})
	d.server.Register(
		notimpl.NewRouter(),
		systemrouter.NewRouter(d),
		containerrouter.NewRouter(d.lifecycle),
		networkrouter.NewRouter(d.lifecycle),
		buildrouter.NewRouter(d),
		imagerouter.NewRouter(d.images, d.dist),
		volumerouter.NewRouter(d.volumes),
		d.swarm.routes(),
	)
	d.swarm.restore()
	return d, nil
}

// nftTable derives our nftables table from the bridge name so two daemons
// with different bridges never share rules.
func nftTable(bridge string) string {
	if bridge == "berth0" {
		return "berth"
	}
	return "berth_" + strings.NewReplacer("-", "_", ".", "_").Replace(bridge)
}

// CgroupParent names the cgroup directory (under each hierarchy) for the
// containers of a daemon with this exec root, so daemons with different
// exec roots keep separate cgroup trees.
func CgroupParent(execRoot string) string {
	if execRoot == "/run/berth" {
		return "berth"
	}
	return "berth-" + strconv.FormatUint(uint64(hash(execRoot)), 36)
}

func hash(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}

// findShim looks for berth-shim next to our own binary, then in PATH.
func findShim() (string, error) {
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), "berth-shim")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("berth-shim"); err == nil {
		return p, nil
	}
	return "", errors.New("berth-shim not found next to the berth binary or in PATH")
}

// initPath is the daemon's init-path, or the static init found.
func initPath(configured string) string {
	if configured != "" {
		return configured
	}
	return findInit()
}

// findInit locates a static init for --init (Debian's tini package).
func findInit() string {
	for _, p := range []string{"/usr/bin/tini-static", "/usr/bin/docker-init", "/usr/libexec/docker/docker-init"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// Shutdown stops serving and, without live-restore, stops containers and
// tears down the default bridge's rules.
func (d *Daemon) Shutdown(ctx context.Context) {
	if d.server != nil {
		_ = d.server.Shutdown(ctx)
	}
	// live-restore keeps what running containers need (bridge, rules,
	// cgroup parent, volume mounts); with none running there is nothing
	// to keep and the daemon cleans up as without it.
	// The swarm node stops first so its agent does not see the task
	// containers stop and reschedule them.
	if d.swarm != nil {
		d.swarm.shutdown(ctx)
	}
	live := d.cfg.LiveRestore && d.lifecycle != nil && d.lifecycle.AnyRunning()
	if d.lifecycle != nil {
		d.lifecycle.Shutdown(ctx, live)
	}
	if d.net != nil && !live {
		if err := d.net.Shutdown(ctx); err != nil {
			d.log.Warn("network shutdown", "err", err)
		}
	}
	// With live-restore running containers keep their volume mounts.
	if d.volumes != nil && !live {
		if err := d.volumes.Shutdown(); err != nil {
			d.log.Warn("volume shutdown", "err", err)
		}
	}
	d.close()
}

func (d *Daemon) close() {
	if d.net != nil {
		_ = d.net.Close()
	}
	if d.db != nil {
		_ = d.db.Close()
	}
}
