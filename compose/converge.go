package compose

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/graph"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"
)

// Recreate policies (--force-recreate, --no-recreate, default).
const (
	RecreateDiverged = "diverged"
	RecreateForce    = "force"
	RecreateNever    = "never"
)

// CreateOptions steer create and the create phase of up.
type CreateOptions struct {
	Recreate      string         // RecreateDiverged (default), RecreateForce, RecreateNever
	RemoveOrphans bool           // remove containers of services the file no longer has
	IgnoreOrphans bool           // do not even warn about them
	Scale         map[string]int // --scale overrides
	Build         *BuildOptions  // non-nil: build images first (up --build)
	NoBuild       bool           // never build, fail on a missing image
	Timeout       *int           // stop timeout for recreated containers
	QuietPull     bool
	// RenewAnonVolumes (-V) gives recreated containers fresh anonymous
	// volumes instead of the old container's.
	RenewAnonVolumes bool
}

// Create makes the project's networks, volumes and containers without
// starting them, recreating containers whose configuration changed.
func (s *Service) Create(ctx context.Context, p *types.Project, o CreateOptions) error {
	if err := s.checkOrphans(ctx, p, o); err != nil {
		return err
	}
	images, err := s.ensureImages(ctx, p, o)
	if err != nil {
		return err
	}
	if err := s.ensureNetworks(ctx, p); err != nil {
		return err
	}
	if err := s.ensureVolumes(ctx, p); err != nil {
		return err
	}
	c := &converger{s: s, p: p, o: o, images: images, byService: map[string][]container.Summary{}}
	return graph.InDependencyOrder(ctx, p, func(ctx context.Context, name string, svc types.ServiceConfig) error {
		return c.service(ctx, svc)
	})
}

func (s *Service) checkOrphans(ctx context.Context, p *types.Project, o CreateOptions) error {
	all, err := s.Containers(ctx, p.Name, OneoffExclude, true)
	if err != nil {
		return err
	}
	known := append(p.ServiceNames(), p.DisabledServiceNames()...)
	orph := orphans(all, known)
	if len(orph) == 0 {
		return nil
	}
	if o.RemoveOrphans {
		return s.removeContainers(ctx, orph, o.Timeout, false)
	}
	if !o.IgnoreOrphans {
		warnf("Found orphan containers (%v) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.", names(orph))
	}
	return nil
}

// converger keeps, while it walks the graph, the containers each service
// ended with so that dependents can refer to them.
type converger struct {
	s      *Service
	p      *types.Project
	o      CreateOptions
	images map[string]string // service → image ID

	mu        sync.Mutex
	byService map[string][]container.Summary
}

func (c *converger) resolve(service string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs := c.byService[service]
	if len(cs) == 0 {
		return "", fmt.Errorf("no containers for service %q", service)
	}
	return Name(cs[0]), nil
}

func (c *converger) scale(svc types.ServiceConfig) int {
	if n, ok := c.o.Scale[svc.Name]; ok {
		return n
	}
	return svc.GetScale()
}

func (c *converger) service(ctx context.Context, svc types.ServiceConfig) error {
	s := c.s
	existing, err := s.Containers(ctx, c.p.Name, OneoffExclude, true, svc.Name)
	if err != nil {
		return err
	}
	if svc.Provider != nil {
		return fmt.Errorf("service %q: provider services: not implemented", svc.Name)
	}
	hash, err := ServiceHash(svc)
	if err != nil {
		return err
	}
	want := c.scale(svc)
	if svc.ContainerName != "" && want > 1 {
		return fmt.Errorf(`service %q: container_name %q is set: it cannot be scaled beyond one container`, svc.Name, svc.ContainerName)
	}
	var keep []container.Summary
	// Scale down from the highest numbers, as Compose does.
	for i := len(existing) - 1; i >= 0; i-- {
		if i >= want {
			if err := s.removeContainers(ctx, existing[i:i+1], c.o.Timeout, false); err != nil {
				return err
			}
		}
	}
	if len(existing) > want {
		existing = existing[:want]
	}
	next := 1
	for _, ctr := range existing {
		if n := number(ctr); n >= next {
			next = n + 1
		}
	}
	for _, ctr := range existing {
		if c.mustRecreate(svc, ctr, hash) {
			nc, err := c.recreate(ctx, svc, ctr, hash)
			if err != nil {
				return err
			}
			keep = append(keep, nc)
			continue
		}
		if ctr.State == container.StateRunning {
			s.event(containerID(Name(ctr)), "Running")
		}
		keep = append(keep, ctr)
	}
	for len(keep) < want {
		name := ContainerName(c.p.Name, svc.Name, next)
		if svc.ContainerName != "" {
			name = svc.ContainerName
		}
		nc, err := c.create(ctx, svc, next, name, hash, nil)
		if err != nil {
			return err
		}
		keep = append(keep, nc)
		next++
	}
	c.mu.Lock()
	c.byService[svc.Name] = keep
	c.mu.Unlock()
	return nil
}

func (c *converger) mustRecreate(svc types.ServiceConfig, ctr container.Summary, hash string) bool {
	switch c.o.Recreate {
	case RecreateNever:
		return false
	case RecreateForce:
		return true
	}
	if ctr.Labels[ConfigHashLabel] != hash {
		return true
	}
	// A rebuilt image keeps the hash: Compose compares the image too.
	if id := c.images[svc.Name]; id != "" && ctr.Labels[ImageDigestLabel] != "" && ctr.Labels[ImageDigestLabel] != id {
		return true
	}
	return false
}

func (c *converger) create(ctx context.Context, svc types.ServiceConfig, num int, name, hash string, extraLabels map[string]string) (container.Summary, error) {
	s := c.s
	spec, err := toCreate(c.p, svc, num, name, hash, false, c.resolve)
	if err != nil {
		return container.Summary{}, err
	}
	if id := c.images[svc.Name]; id != "" {
		spec.Config.Labels[ImageDigestLabel] = id
	}
	for k, v := range extraLabels {
		spec.Config.Labels[k] = v
	}
	s.event(containerID(name), "Creating")
	id, err := s.createContainer(ctx, c.p, svc, spec)
	if err != nil {
		s.event(containerID(name), "Error")
		return container.Summary{}, err
	}
	s.event(containerID(name), "Created")
	return container.Summary{ID: id, Names: []string{"/" + name}, Labels: spec.Config.Labels, State: container.StateCreated}, nil
}

// createContainer sends the create request, joins the extra networks and
// copies inline configs and secrets in.
func (s *Service) createContainer(ctx context.Context, p *types.Project, svc types.ServiceConfig, spec createSpec) (string, error) {
	res, err := s.API.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name: spec.Name, Config: spec.Config, HostConfig: spec.Host, NetworkingConfig: spec.Networking,
	})
	if err != nil {
		return "", err
	}
	for nw, ep := range spec.Extra {
		if _, err := s.API.NetworkConnect(ctx, nw, client.NetworkConnectOptions{Container: res.ID, EndpointConfig: ep}); err != nil {
			return res.ID, fmt.Errorf("connect %s to network %s: %w", spec.Name, nw, err)
		}
	}
	if err := s.injectFiles(ctx, p, svc, res.ID); err != nil {
		return res.ID, err
	}
	return res.ID, nil
}

// recreate replaces ctr as Compose does: stop it, move it out of the way
// under <id>_<name>, create the new one with the same number, remove the
// old one.
func (c *converger) recreate(ctx context.Context, svc types.ServiceConfig, ctr container.Summary, hash string) (container.Summary, error) {
	s := c.s
	name := Name(ctr)
	s.event(containerID(name), "Recreate")
	if _, err := s.API.ContainerStop(ctx, ctr.ID, client.ContainerStopOptions{Timeout: c.stopTimeout(svc)}); err != nil {
		return container.Summary{}, err
	}
	tmp := ctr.ID[:12] + "_" + name
	if _, err := s.API.ContainerRename(ctx, ctr.ID, client.ContainerRenameOptions{NewName: tmp}); err != nil {
		return container.Summary{}, err
	}
	spec, err := toCreate(c.p, svc, number(ctr), name, hash, false, c.resolve)
	if err != nil {
		return container.Summary{}, err
	}
	if id := c.images[svc.Name]; id != "" {
		spec.Config.Labels[ImageDigestLabel] = id
	}
	spec.Config.Labels[ContainerReplaceLabel] = ctr.ID
	if !c.o.RenewAnonVolumes {
		if err := s.inheritAnonymous(ctx, ctr.ID, &spec); err != nil {
			return container.Summary{}, err
		}
	}
	id, err := s.createContainer(ctx, c.p, svc, spec)
	if err != nil {
		return container.Summary{}, err
	}
	if _, err := s.API.ContainerRemove(ctx, ctr.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
		return container.Summary{}, err
	}
	s.event(containerID(name), "Recreated")
	return container.Summary{ID: id, Names: []string{"/" + name}, Labels: spec.Config.Labels, State: container.StateCreated}, nil
}

// inheritAnonymous hands the old container's anonymous volumes (a
// VOLUME of the image, a bare "- /data") to its replacement, as Compose
// does, so that recreating keeps their data.
func (s *Service) inheritAnonymous(ctx context.Context, oldID string, spec *createSpec) error {
	old, err := s.API.ContainerInspect(ctx, oldID, client.ContainerInspectOptions{})
	if err != nil {
		return err
	}
	taken := map[string]bool{}
	for _, m := range spec.Host.Mounts {
		taken[m.Target] = true
		if m.Type == mount.TypeVolume && m.Source == "" {
			// The new spec's own anonymous volume is the one to reuse.
			taken[m.Target] = false
		}
	}
	for _, b := range spec.Host.Binds {
		if parts := strings.Split(b, ":"); len(parts) >= 2 {
			taken[parts[1]] = true
		}
	}
	for t := range spec.Host.Tmpfs {
		taken[t] = true
	}
	var kept []mount.Mount
	for _, m := range spec.Host.Mounts {
		if m.Type == mount.TypeVolume && m.Source == "" {
			continue // replaced below when the old container had one there
		}
		kept = append(kept, m)
	}
	reused := map[string]bool{}
	for _, m := range old.Container.Mounts {
		if m.Type != mount.TypeVolume || m.Name == "" || taken[m.Destination] {
			continue
		}
		if !isAnonymous(m.Name) {
			continue
		}
		kept = append(kept, mount.Mount{Type: mount.TypeVolume, Source: m.Name, Target: m.Destination})
		reused[m.Destination] = true
	}
	for _, m := range spec.Host.Mounts {
		if m.Type == mount.TypeVolume && m.Source == "" && !reused[m.Target] {
			kept = append(kept, m)
		}
	}
	spec.Host.Mounts = kept
	return nil
}

// isAnonymous tells an engine-named volume (64 hex digits) from a named one.
func isAnonymous(name string) bool {
	if len(name) != 64 {
		return false
	}
	for _, c := range name {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func (c *converger) stopTimeout(svc types.ServiceConfig) *int {
	if c.o.Timeout != nil {
		return c.o.Timeout
	}
	if svc.StopGracePeriod != nil {
		t := int(time.Duration(*svc.StopGracePeriod).Seconds())
		return &t
	}
	return nil
}

// removeContainers stops then removes cs, each in parallel.
func (s *Service) removeContainers(ctx context.Context, cs []container.Summary, timeout *int, volumes bool) error {
	return parallel(cs, func(ctr container.Summary) error {
		name := Name(ctr)
		if ctr.State == container.StateRunning || ctr.State == container.StatePaused || ctr.State == container.StateRestarting {
			s.event(containerID(name), "Stopping")
			if _, err := s.API.ContainerStop(ctx, ctr.ID, client.ContainerStopOptions{Timeout: timeout}); err != nil {
				return err
			}
			s.event(containerID(name), "Stopped")
		}
		s.event(containerID(name), "Removing")
		if _, err := s.API.ContainerRemove(ctx, ctr.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: volumes}); err != nil {
			return err
		}
		s.event(containerID(name), "Removed")
		return nil
	})
}

// parallel runs fn for each item concurrently and joins the errors.
func parallel[T any](items []T, fn func(T) error) error {
	var wg sync.WaitGroup
	errs := make([]error, len(items))
	for i, it := range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(it)
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
