package compose

import (
	"context"
	"fmt"

	"github.com/compose-spec/compose-go/v2/graph"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// forEach applies fn to the containers of each selected service, dependents
// first when reverse (stop) and dependencies first otherwise (restart).
func (s *Service) forEach(ctx context.Context, p *types.Project, services []string, all, reverse bool, fn func(container.Summary) error) error {
	var opts []func(*graph.Options)
	if reverse {
		opts = append(opts, graph.InReverseOrder)
	}
	return graph.InDependencyOrder(ctx, p, func(ctx context.Context, name string, _ types.ServiceConfig) error {
		if len(services) > 0 && !contains(services, name) {
			return nil
		}
		cs, err := s.Containers(ctx, p.Name, OneoffExclude, all, name)
		if err != nil {
			return err
		}
		return parallel(cs, fn)
	}, opts...)
}

// Stop stops the selected services' containers, dependents first.
func (s *Service) Stop(ctx context.Context, p *types.Project, services []string, timeout *int) error {
	return s.forEach(ctx, p, services, false, true, func(c container.Summary) error {
		n := Name(c)
		s.event(containerID(n), "Stopping")
		if _, err := s.API.ContainerStop(ctx, c.ID, client.ContainerStopOptions{Timeout: timeout}); err != nil {
			return err
		}
		s.event(containerID(n), "Stopped")
		return nil
	})
}

// Restart restarts the selected services' containers (stopped ones too).
func (s *Service) Restart(ctx context.Context, p *types.Project, services []string, timeout *int) error {
	return s.forEach(ctx, p, services, true, false, func(c container.Summary) error {
		n := Name(c)
		s.event(containerID(n), "Restarting")
		if _, err := s.API.ContainerRestart(ctx, c.ID, client.ContainerRestartOptions{Timeout: timeout}); err != nil {
			return err
		}
		s.event(containerID(n), "Started")
		return nil
	})
}

// Kill sends signal to the selected services' running containers.
func (s *Service) Kill(ctx context.Context, p *types.Project, services []string, signal string) error {
	found := 0
	err := s.forEach(ctx, p, services, false, true, func(c container.Summary) error {
		found++
		n := Name(c)
		s.event(containerID(n), "Killing")
		if _, err := s.API.ContainerKill(ctx, c.ID, client.ContainerKillOptions{Signal: signal}); err != nil {
			return err
		}
		s.event(containerID(n), "Killed")
		return nil
	})
	if err == nil && found == 0 {
		return fmt.Errorf("no container to kill")
	}
	return err
}

// Pause freezes the selected services' running containers.
func (s *Service) Pause(ctx context.Context, p *types.Project, services []string) error {
	return s.forEach(ctx, p, services, false, false, func(c container.Summary) error {
		if c.State == container.StatePaused {
			return nil
		}
		if _, err := s.API.ContainerPause(ctx, c.ID, client.ContainerPauseOptions{}); err != nil {
			return err
		}
		s.event(containerID(Name(c)), "Paused")
		return nil
	})
}

// Unpause thaws the selected services' paused containers.
func (s *Service) Unpause(ctx context.Context, p *types.Project, services []string) error {
	return s.forEach(ctx, p, services, false, false, func(c container.Summary) error {
		if c.State != container.StatePaused {
			return nil
		}
		if _, err := s.API.ContainerUnpause(ctx, c.ID, client.ContainerUnpauseOptions{}); err != nil {
			return err
		}
		s.event(containerID(Name(c)), "Unpaused")
		return nil
	})
}

// Stopped lists the selected services' containers that are not running
// (what compose rm removes).
func (s *Service) Stopped(ctx context.Context, p *types.Project, services []string, running bool) ([]container.Summary, error) {
	cs, err := s.Containers(ctx, p.Name, OneoffExclude, true, services...)
	if err != nil {
		return nil, err
	}
	var out []container.Summary
	for _, c := range cs {
		if running || (c.State != container.StateRunning && c.State != container.StatePaused) {
			out = append(out, c)
		}
	}
	return out, nil
}

// Remove removes cs (stopping them first when running), with their
// anonymous volumes when volumes.
func (s *Service) Remove(ctx context.Context, cs []container.Summary, volumes bool) error {
	return s.removeContainers(ctx, cs, nil, volumes)
}
