package executor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"sync"
	"time"

	crouter "github.com/berth-project/berth/apiserver/router/container"
	imagerouter "github.com/berth-project/berth/apiserver/router/image"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/swarmkit/v2/agent/exec"
	"github.com/moby/swarmkit/v2/api"
	"github.com/moby/swarmkit/v2/log"
)

// controller drives one task's container through swarmkit's task states
// (exec.Do calls these in order and records the outcome).
type controller struct {
	e    *Executor
	deps exec.DependencyGetter

	mu      sync.Mutex
	task    *api.Task
	closed  bool
	backend netip.Addr // registered with the ingress load balancer
}

func newController(e *Executor, t *api.Task, deps exec.DependencyGetter) *controller {
	return &controller{e: e, task: t, deps: deps}
}

func (c *controller) name() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return containerName(c.task)
}

// Update takes the new task; nothing of a running container changes in
// place (swarmkit replaces tasks whose spec changed).
func (c *controller) Update(ctx context.Context, t *api.Task) error {
	c.mu.Lock()
	c.task = t
	c.mu.Unlock()
	return nil
}

// Prepare pulls the image if it is not here, writes secrets and configs
// and creates the container.
func (c *controller) Prepare(ctx context.Context) error {
	if err := c.checkClosed(); err != nil {
		return err
	}
	if _, err := c.e.cfg.Containers.ContainerInspect(ctx, c.name(), false); err == nil {
		return exec.ErrTaskPrepared
	}
	c.mu.Lock()
	t := c.task
	c.mu.Unlock()
	spec := t.Spec.GetContainer()
	if !c.e.cfg.Images.Exists(spec.Image) {
		if err := c.pull(ctx, spec.Image, spec.PullOptions); err != nil {
			// The task's error says what dockerd's says; why the pull
			// failed goes to the daemon log, as with dockerd.
			log.G(ctx).WithError(err).WithField("image", spec.Image).Error("pulling image failed")
			return fmt.Errorf("No such image: %s", spec.Image)
		}
	}
	mounts, err := c.e.writeFiles(t, c.deps)
	if err != nil {
		return err
	}
	if err := c.e.ensureOverlays(ctx, t.ID, overlayAttachments(t)); err != nil {
		return err
	}
	if _, err := c.e.cfg.Containers.ContainerCreate(ctx, c.name(), createRequest(t, mounts)); err != nil {
		if errdefs.IsConflict(err) {
			return exec.ErrTaskPrepared
		}
		return err
	}
	return nil
}

// pull fetches the task's image with the credentials `service create
// --with-registry-auth` stored in the spec.
func (c *controller) pull(ctx context.Context, ref string, po *api.ContainerSpec_PullOptions) error {
	var auth *registry.AuthConfig
	if po != nil {
		a, err := imagerouter.DecodeRegistryAuth(po.RegistryAuth)
		if err != nil {
			return err
		}
		auth = a
	}
	name, tag := ref, ""
	// "repo:tag@sha256:..." (the CLI pins digests): pull by digest.
	if i := strings.Index(name, "@"); i >= 0 {
		repo := name[:i]
		if j := strings.LastIndex(repo, ":"); j > strings.LastIndex(repo, "/") {
			repo = repo[:j]
		}
		name, tag = repo, name[i+1:]
	} else if j := strings.LastIndex(name, ":"); j > strings.LastIndex(name, "/") {
		name, tag = name[:j], name[j+1:]
	}
	return c.e.cfg.Images.PullImage(ctx, imagerouter.PullRequest{Image: name, Tag: tag, Auth: auth}, io.Discard)
}

// Start starts the container and, when it has a health check, returns
// only once it is healthy (as dockerd's executor does), so a rolling
// update waits for healthy replacements.
func (c *controller) Start(ctx context.Context) error {
	if err := c.checkClosed(); err != nil {
		return err
	}
	st, err := c.e.cfg.Containers.ContainerInspect(ctx, c.name(), false)
	if err != nil {
		return err
	}
	if st.State != nil && (st.State.Running || st.State.FinishedAt != "" && st.State.FinishedAt != "0001-01-01T00:00:00Z") {
		return exec.ErrTaskStarted
	}
	if err := c.e.cfg.Containers.ContainerStart(ctx, c.name()); err != nil {
		return fmt.Errorf("starting container failed: %w", err)
	}
	if err := c.addIngress(ctx); err != nil {
		return err
	}
	c.e.taskChanged()
	if st.Config == nil || st.Config.Healthcheck == nil || len(st.Config.Healthcheck.Test) == 0 || st.Config.Healthcheck.Test[0] == "NONE" {
		return nil
	}
	for {
		s, err := c.e.cfg.Containers.ContainerInspect(ctx, c.name(), false)
		if err != nil {
			return err
		}
		if s.State == nil || !s.State.Running {
			return nil // Wait reports the exit
		}
		if h := s.State.Health; h != nil {
			switch h.Status {
			case container.Healthy:
				return nil
			case container.Unhealthy:
				return errors.New("container unhealthy")
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// exitError carries the container's exit code to exec.Do.
type exitError struct {
	code  int
	cause error
}

func (e *exitError) Error() string {
	if e.cause != nil {
		return e.cause.Error()
	}
	return fmt.Sprintf("task: non-zero exit (%d)", e.code)
}

func (e *exitError) ExitCode() int { return e.code }

// Wait blocks until the container exits; a non-zero exit or an unhealthy
// container fails the task.
func (c *controller) Wait(ctx context.Context) error {
	if err := c.checkClosed(); err != nil {
		return err
	}
	// After a daemon restart the node's load balancer starts empty: a task
	// found running registers its address again.
	c.mu.Lock()
	registered := c.backend.IsValid()
	c.mu.Unlock()
	if !registered {
		if err := c.addIngress(ctx); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch, err := c.e.cfg.Containers.ContainerWait(ctx, c.name(), container.WaitConditionNotRunning)
	if err != nil {
		return err
	}
	unhealthy := make(chan struct{})
	go c.watchHealth(ctx, unhealthy)
	select {
	case res := <-ch:
		c.dropIngress(context.WithoutCancel(ctx))
		if res.Err != nil {
			return res.Err
		}
		if res.StatusCode != 0 {
			return &exitError{code: int(res.StatusCode)}
		}
		return nil
	case <-unhealthy:
		return &exitError{code: 137, cause: errors.New("task: container unhealthy")}
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *controller) watchHealth(ctx context.Context, unhealthy chan<- struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(500 * time.Millisecond):
		}
		s, err := c.e.cfg.Containers.ContainerInspect(ctx, c.name(), false)
		if err != nil || s.State == nil {
			return
		}
		if h := s.State.Health; h != nil && h.Status == container.Unhealthy {
			close(unhealthy)
			return
		}
	}
}

// addIngress makes the started container a backend of the service's
// routing-mesh ports on this node.
func (c *controller) addIngress(ctx context.Context) error {
	c.mu.Lock()
	t := c.task
	c.mu.Unlock()
	ports := ingressPorts(t)
	if len(ports) == 0 || c.e.cfg.Ingress == nil {
		return nil
	}
	s, err := c.e.cfg.Containers.ContainerInspect(ctx, c.name(), false)
	if err != nil {
		return err
	}
	if s.State == nil || !s.State.Running {
		return nil // Wait reports the exit
	}
	var ip netip.Addr
	if s.NetworkSettings != nil {
		for _, ep := range s.NetworkSettings.Networks {
			if ep != nil && ep.IPAddress.IsValid() {
				ip = ep.IPAddress
				break
			}
		}
	}
	if !ip.IsValid() {
		return errors.New("task container has no address for the ingress ports")
	}
	if err := c.e.cfg.Ingress.AddIngressBackend(ctx, t.ServiceID, ports, ip); err != nil {
		return fmt.Errorf("publishing ingress ports: %w", err)
	}
	c.mu.Lock()
	c.backend = ip
	c.mu.Unlock()
	return nil
}

// dropIngress takes the container out of the load balancer before it
// stops, so new connections go to the other tasks.
func (c *controller) dropIngress(ctx context.Context) {
	c.mu.Lock()
	ip, svc := c.backend, c.task.ServiceID
	c.backend = netip.Addr{}
	c.mu.Unlock()
	if ip.IsValid() && c.e.cfg.Ingress != nil {
		_ = c.e.cfg.Ingress.RemoveIngressBackend(ctx, svc, ip)
	}
}

// Shutdown stops the container with the service's grace period (the
// container's StopTimeout, set from it at create).
func (c *controller) Shutdown(ctx context.Context) error {
	c.dropIngress(ctx)
	c.e.taskChanged()
	err := c.e.cfg.Containers.ContainerStop(ctx, c.name(), "", nil)
	if errdefs.IsNotFound(err) {
		return nil
	}
	return err
}

// Terminate kills the container.
func (c *controller) Terminate(ctx context.Context) error {
	c.dropIngress(ctx)
	err := c.e.cfg.Containers.ContainerKill(ctx, c.name(), "KILL")
	if errdefs.IsNotFound(err) || errdefs.IsConflict(err) {
		return nil
	}
	return err
}

// Remove deletes the container, its anonymous volumes and its secrets.
func (c *controller) Remove(ctx context.Context) error {
	c.dropIngress(ctx)
	c.mu.Lock()
	t := c.task
	c.mu.Unlock()
	err := c.e.cfg.Containers.ContainerRemove(ctx, c.name(), crouter.RemoveOptions{Force: true, RemoveVolumes: true})
	if errdefs.IsNotFound(err) {
		err = nil
	}
	if ferr := c.e.removeFiles(t.ID); err == nil {
		err = ferr
	}
	if err == nil {
		c.e.releaseOverlays(ctx, t.ID, overlayAttachments(t))
	}
	return err
}

// Close releases the controller; the container stays.
func (c *controller) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	return nil
}

func (c *controller) checkClosed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return exec.ErrControllerClosed
	}
	return nil
}

// ContainerStatus lets swarmkit record the container ID, pid and exit code
// in the task status (`service ps`, task inspect).
func (c *controller) ContainerStatus(ctx context.Context) (*api.ContainerStatus, error) {
	// exec.Do asks for it after an operation its context cancelled (a
	// task update interrupting Wait): the status is still wanted then.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	s, err := c.e.cfg.Containers.ContainerInspect(ctx, c.name(), false)
	if errdefs.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	cs := &api.ContainerStatus{ContainerID: s.ID}
	if s.State != nil {
		cs.PID = int32(s.State.Pid)
		cs.ExitCode = int32(s.State.ExitCode)
	}
	return cs, nil
}

// PortStatus reports the ports published on this node.
func (c *controller) PortStatus(ctx context.Context) (*api.PortStatus, error) {
	c.mu.Lock()
	t := c.task
	c.mu.Unlock()
	if t.Endpoint == nil {
		return nil, nil
	}
	var out []*api.PortConfig
	for _, p := range t.Endpoint.Ports {
		if p.PublishMode == api.PublishModeHost {
			out = append(out, p.Copy())
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return &api.PortStatus{Ports: out}, nil
}
