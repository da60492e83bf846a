package lifecycle

import (
	"context"
	"os"
	"path"
	"strings"
	"syscall"
	"time"

	containerrouter "github.com/berth-project/berth/apiserver/router/container"
	"github.com/berth-project/berth/container"
	"github.com/berth-project/berth/internal/errdefs"
	containertypes "github.com/moby/moby/api/types/container"
)

// removeOpts are the daemon's own removals: forced ones are --rm, which
// also removes anonymous volumes (as Docker); prune keeps them.
func removeOpts(force bool) containerrouter.RemoveOptions {
	return containerrouter.RemoveOptions{Force: force, RemoveVolumes: force}
}

// ContainerRemove implements DELETE /containers/{id}.
func (s *Service) ContainerRemove(ctx context.Context, name string, opts containerrouter.RemoveOptions) error {
	defer s.observe("delete", time.Now())
	c, err := s.get(name)
	if err != nil {
		return err
	}
	if opts.RemoveLink {
		return s.removeLink(name)
	}
	c.Lock()
	if c.State.Removing {
		c.Unlock()
		return errdefs.Conflict("removal of container %s is already in progress", c.ShortID())
	}
	if c.State.Status == containertypes.StateRestarting {
		if !opts.Force {
			c.Unlock()
			return errdefs.Conflict("cannot remove container %q: container is restarting: stop the container before removing or force remove", c.Name)
		}
		c.Unlock()
		s.stopRestarting(ctx, c)
		c.Lock()
	}
	if c.IsRunning() {
		if !opts.Force {
			paused := c.State.Status == containertypes.StatePaused
			c.Unlock()
			if paused {
				return errdefs.Conflict("cannot remove container %q: container is paused and must be unpaused first", c.Name)
			}
			return errdefs.Conflict("cannot remove container %q: container is running: stop the container before removing or force remove", c.Name)
		}
	}
	c.State.Removing = true
	running := c.IsRunning()
	c.Unlock()

	if running {
		if sh := s.shim(c.ID); sh != nil {
			_ = sh.Kill(ctx, syscall.SIGKILL, true)
			_ = sh.Resume(ctx)
		}
		if !s.waitStopped(ctx, c, time.After(30*time.Second)) {
			c.Lock()
			c.State.Removing = false
			c.Unlock()
			return errdefs.Conflict("cannot remove container %q: could not kill it", c.Name)
		}
	}

	c.Lock()
	defer c.Unlock()
	if err := s.layers.RemoveRW(c.ID); err != nil {
		c.State.Status = containertypes.StateDead
		c.State.Removing = false
		_ = s.store.Save(c)
		return err
	}
	_ = os.RemoveAll(s.containerDir(c.ID))
	_ = os.RemoveAll(s.bundleDir(c.ID))
	if err := s.store.Delete(c); err != nil {
		return err
	}
	s.removeMounts(ctx, c, opts.RemoveVolumes)
	s.mu.Lock()
	for id, e := range s.execs {
		if e.containerID == c.ID {
			delete(s.execs, id)
		}
	}
	s.mu.Unlock()
	c.Removed = true
	c.Notify()
	s.logEvent(c, "destroy", nil)
	return nil
}

// ContainerWait implements POST /containers/{id}/wait.
func (s *Service) ContainerWait(ctx context.Context, name string, cond containertypes.WaitCondition) (<-chan containerrouter.WaitResult, error) {
	c, err := s.get(name)
	if err != nil {
		return nil, err
	}
	switch cond {
	case "", containertypes.WaitConditionNotRunning, containertypes.WaitConditionNextExit, containertypes.WaitConditionRemoved:
	default:
		return nil, errdefs.InvalidParameter("invalid condition: %q", cond)
	}
	c.Lock()
	startFinished := c.State.FinishedAt
	c.Unlock()
	out := make(chan containerrouter.WaitResult, 1)
	go func() {
		for {
			c.Lock()
			done := false
			switch cond {
			case containertypes.WaitConditionRemoved:
				done = c.Removed
			case containertypes.WaitConditionNextExit:
				done = !c.IsRunning() && !c.State.FinishedAt.Equal(startFinished)
			default:
				done = !c.IsRunning()
			}
			if done {
				res := containerrouter.WaitResult{StatusCode: int64(c.State.ExitCode)}
				c.Unlock()
				out <- res
				return
			}
			ch := c.Changed()
			c.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				out <- containerrouter.WaitResult{StatusCode: -1, Err: ctx.Err()}
				return
			}
		}
	}()
	return out, nil
}

// ContainerRename implements POST /containers/{id}/rename.
func (s *Service) ContainerRename(ctx context.Context, oldName, newName string) error {
	c, err := s.get(oldName)
	if err != nil {
		return err
	}
	if newName == "" {
		return errdefs.InvalidParameter("Neither old nor new names may be empty")
	}
	name, err := container.ValidateName(newName)
	if err != nil {
		return err
	}
	c.Lock()
	defer c.Unlock()
	if c.Name == name {
		return errdefs.InvalidParameter("Renaming a container with the same name as its current name")
	}
	if err := s.store.Rename(c, name); err != nil {
		return err
	}
	old := c.Name
	c.Name = name
	if err := s.store.Save(c); err != nil {
		return err
	}
	s.logEvent(c, "rename", map[string]string{"oldName": old})
	return nil
}

// removeLink implements `rm --link /parent/alias`: the link goes from the
// parent's configuration (it takes effect at its next start).
func (s *Service) removeLink(name string) error {
	name = "/" + strings.TrimPrefix(name, "/")
	parentName, alias := path.Split(name)
	parent, err := s.get(strings.TrimSuffix(parentName, "/"))
	if parentName == "/" || err != nil {
		return errdefs.NotFound("Cannot get parent %s for link name %s", strings.TrimSuffix(parentName, "/"), name)
	}
	parent.Lock()
	defer parent.Unlock()
	kept := parent.HostConfig.Links[:0]
	found := false
	for _, l := range parent.HostConfig.Links {
		if _, a, err := parseLink(l); err == nil && a == alias {
			found = true
			continue
		}
		kept = append(kept, l)
	}
	if !found {
		return errdefs.NotFound("Could not find link %s", name)
	}
	parent.HostConfig.Links = kept
	return s.store.Save(parent)
}
