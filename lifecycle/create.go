package lifecycle

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	containerrouter "github.com/berth-project/berth/apiserver/router/container"
	"github.com/berth-project/berth/container"
	"github.com/berth-project/berth/image"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/logger"
	"github.com/berth-project/berth/logger/drivers"
	"github.com/berth-project/berth/runtime/oci"
	containertypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// ContainerCreate implements POST /containers/create.
func (s *Service) ContainerCreate(ctx context.Context, name string, req *containertypes.CreateRequest) (containertypes.CreateResponse, error) {
	defer s.observe("create", time.Now())
	if req == nil || req.Config == nil {
		return containertypes.CreateResponse{}, errdefs.InvalidParameter("config cannot be empty in order to create a container")
	}
	hc := req.HostConfig
	if hc == nil {
		hc = &containertypes.HostConfig{}
	}
	if req.Config.Image == "" {
		return containertypes.CreateResponse{}, errdefs.InvalidParameter("no image specified")
	}
	if err := validateConfig(req.Config); err != nil {
		return containertypes.CreateResponse{}, err
	}
	if err := validateImageRef(req.Config.Image); err != nil {
		return containertypes.CreateResponse{}, err
	}
	img, err := s.images.Resolve(req.Config.Image)
	if err != nil {
		return containertypes.CreateResponse{}, err
	}
	if err := checkPlatform(containerrouter.PlatformFromContext(ctx), req.Config.Image, img); err != nil {
		return containertypes.CreateResponse{}, err
	}
	if hc.IpcMode.IsEmpty() {
		// The daemon's default-ipc-mode; the router has already made it
		// "shareable" for clients older than API 1.40.
		hc.IpcMode = containertypes.IPCModePrivate
	}
	cfg := mergeImageConfig(req.Config, img)
	if len(cfg.Entrypoint) == 0 && len(cfg.Cmd) == 0 {
		return containertypes.CreateResponse{}, errdefs.InvalidParameter("no command specified")
	}
	warnings := discardUnsupported(&hc.Resources)
	if err := s.validateHostConfig(cfg, hc); err != nil {
		return containertypes.CreateResponse{}, err
	}
	s.mergeLogConfig(hc)
	netConf, err := s.prepareNetworking(cfg, hc, req.NetworkingConfig)
	if err != nil {
		return containertypes.CreateResponse{}, err
	}
	if _, err := s.runtimeFor(hc.Runtime); err != nil {
		return containertypes.CreateResponse{}, err
	}
	mounts, err := s.planMounts(cfg, hc)
	if err != nil {
		return containertypes.CreateResponse{}, err
	}

	id := container.NewID()
	if name != "" {
		if name, err = container.ValidateName(name); err != nil {
			return containertypes.CreateResponse{}, err
		}
		if err := s.store.Reserve(name, id); err != nil {
			return containertypes.CreateResponse{}, err
		}
	} else {
		for i := 0; ; i++ {
			name = "/" + container.RandomName(i)
			if s.store.Reserve(name, id) == nil {
				break
			}
		}
	}
	c := &container.Container{
		ID:               id,
		Name:             name,
		Created:          time.Now().UTC(),
		Image:            req.Config.Image,
		ImageID:          img.ID.String(),
		Config:           cfg,
		HostConfig:       hc,
		NetworkingConfig: netConf,
		State:            container.State{Status: containertypes.StateCreated},
		MountPoints:      mounts,
	}
	if container.HasHealthcheck(cfg.Healthcheck) {
		c.State.Health = container.NewHealth()
	}
	c.Path, c.Args = commandLine(cfg)
	if kind := parseNetMode(hc.NetworkMode).kind; c.Config.Hostname == "" && kind != modeHost && kind != modeContainer {
		c.Config.Hostname = id[:12]
	}
	hc.Links = normalizeLinks(name, hc.Links)
	dir := s.containerDir(id)
	c.LogPath = filepath.Join(dir, id+"-json.log")
	if drv := s.logDriver(c); drv == "none" || drivers.Remote(drv) && c.HostConfig.LogConfig.Config["cache-disabled"] == "true" {
		c.LogPath = ""
	}
	c.HostnamePath = filepath.Join(dir, "hostname")
	c.HostsPath = filepath.Join(dir, "hosts")
	c.ResolvConfPath = filepath.Join(dir, "resolv.conf")

	undo := func() {
		s.store.Release(name, id)
		_ = s.layers.RemoveRW(id)
		_ = os.RemoveAll(dir)
	}
	if err := os.MkdirAll(dir, 0o710); err != nil {
		undo()
		return containertypes.CreateResponse{}, fmt.Errorf("create container dir: %w", err)
	}
	if err := s.layers.CreateRW(id, img.ChainID); err != nil {
		undo()
		return containertypes.CreateResponse{}, fmt.Errorf("create rw layer: %w", err)
	}
	if err := s.registerMounts(ctx, id, mounts); err != nil {
		undo()
		return containertypes.CreateResponse{}, err
	}
	if err := s.store.Add(c); err != nil {
		s.removeMounts(ctx, c, true)
		undo()
		return containertypes.CreateResponse{}, err
	}
	s.logEvent(c, "create", nil)
	return containertypes.CreateResponse{ID: id, Warnings: warnings}, nil
}

// mergeImageConfig applies the image's defaults under the user's config,
// as Docker does: env by key, entrypoint/cmd pairing, union of ports and
// labels.
func mergeImageConfig(user *containertypes.Config, img *image.Image) *containertypes.Config {
	cfg := *user
	ic := img.Config.Config
	if len(cfg.Entrypoint) == 0 {
		cfg.Entrypoint = ic.Entrypoint
		if len(cfg.Cmd) == 0 {
			cfg.Cmd = ic.Cmd
		}
	}
	cfg.Env = mergeEnv(ic.Env, user.Env)
	if cfg.WorkingDir == "" {
		cfg.WorkingDir = ic.WorkingDir
	}
	if cfg.User == "" {
		cfg.User = ic.User
	}
	if cfg.StopSignal == "" {
		cfg.StopSignal = ic.StopSignal
	}
	if len(ic.ExposedPorts) > 0 {
		ports := network.PortSet{}
		for p := range ic.ExposedPorts {
			if port, err := network.ParsePort(p); err == nil {
				ports[port] = struct{}{}
			}
		}
		for p := range user.ExposedPorts {
			ports[p] = struct{}{}
		}
		cfg.ExposedPorts = ports
	}
	if len(ic.Labels) > 0 {
		labels := map[string]string{}
		for k, v := range ic.Labels {
			labels[k] = v
		}
		for k, v := range user.Labels {
			labels[k] = v
		}
		cfg.Labels = labels
	}
	if len(ic.Volumes) > 0 {
		// The image's VOLUMEs join the user's (Docker's merge is a union).
		vols := map[string]struct{}{}
		for k := range ic.Volumes {
			vols[k] = struct{}{}
		}
		for k := range user.Volumes {
			vols[k] = struct{}{}
		}
		cfg.Volumes = vols
	}
	cfg.Healthcheck = mergeHealthcheck(cfg.Healthcheck, img.Config.Config.Healthcheck)
	if cfg.Labels == nil {
		cfg.Labels = map[string]string{}
	}
	return &cfg
}

func mergeEnv(base, override []string) []string {
	out := slices.Clone(base)
	for _, kv := range override {
		k, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, old := range out {
			if ok, _, _ := strings.Cut(old, "="); ok == k {
				out[i] = kv
				replaced = true
				break
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return out
}

func commandLine(cfg *containertypes.Config) (string, []string) {
	argv := append(slices.Clone([]string(cfg.Entrypoint)), cfg.Cmd...)
	if len(argv) == 0 {
		return "", nil
	}
	return argv[0], argv[1:]
}

func isHostNetwork(hc *containertypes.HostConfig) bool { return hc.NetworkMode == "host" }

// validateHostConfig rejects what would only fail at start, so that a bad
// create leaves nothing behind.
func (s *Service) validateHostConfig(cfg *containertypes.Config, hc *containertypes.HostConfig) error {
	if err := oci.Validate(cfg, hc); err != nil {
		return err
	}
	if err := validateHealthcheck(cfg.Healthcheck); err != nil {
		return err
	}
	if err := containertypes.ValidateRestartPolicy(hc.RestartPolicy); err != nil {
		return errdefs.InvalidParameter("%v", err)
	}
	if hc.AutoRemove && hc.RestartPolicy.Name != "" && hc.RestartPolicy.Name != containertypes.RestartPolicyDisabled {
		return errdefs.InvalidParameter("can't create 'AutoRemove' container with restart policy")
	}
	// The effective driver and options: the daemon's when none is named
	// (mergeLogConfig records the same at create).
	lc := hc.LogConfig
	if lc.Type == "" {
		lc.Type = s.cfg.LogDriver
	}
	if lc.Type == s.cfg.LogDriver {
		merged := map[string]string{}
		for k, v := range s.cfg.LogOpts {
			merged[k] = v
		}
		for k, v := range lc.Config {
			merged[k] = v
		}
		lc.Config = merged
	}
	if err := logger.ValidateOpts(lc.Type, lc.Config); err != nil {
		return errdefs.InvalidParameter("%v", err)
	}
	return nil
}

// mergeLogConfig records the effective log driver at create, as dockerd
// does: inspect shows it (docker-py reads the output of a foreground run
// only when it says json-file or journald), and a container on the
// daemon's driver gets the daemon's log-opts it did not set itself.
func (s *Service) mergeLogConfig(hc *containertypes.HostConfig) {
	if hc.LogConfig.Type == "" {
		hc.LogConfig.Type = s.cfg.LogDriver
	}
	if hc.LogConfig.Config == nil {
		hc.LogConfig.Config = map[string]string{}
	}
	if hc.LogConfig.Type != s.cfg.LogDriver {
		return
	}
	for k, v := range s.cfg.LogOpts {
		if _, ok := hc.LogConfig.Config[k]; !ok {
			hc.LogConfig.Config[k] = v
		}
	}
}

// logDriver is the container's driver; records made before create merged
// the daemon's default have an empty Type.
func (s *Service) logDriver(c *container.Container) string {
	if t := c.HostConfig.LogConfig.Type; t != "" {
		return t
	}
	return s.cfg.LogDriver
}

func (s *Service) runtimeFor(name string) (RuntimeSpec, error) {
	if name == "" {
		s.mu.Lock()
		name = s.cfg.DefaultRuntime
		s.mu.Unlock()
	}
	rt, ok := s.cfg.Runtimes[name]
	if !ok {
		return RuntimeSpec{}, errdefs.InvalidParameter("unknown or invalid runtime name: %s", name)
	}
	return rt, nil
}
