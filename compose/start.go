package compose

import (
	"context"
	"fmt"
	"time"

	"github.com/compose-spec/compose-go/v2/graph"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// StartOptions steer start and the start phase of up.
type StartOptions struct {
	Wait        bool          // --wait: until running (or healthy)
	WaitTimeout time.Duration // 0: no limit
	Services    []string      // none: all
}

// pollInterval is how often dependency conditions are checked.
var pollInterval = 250 * time.Millisecond

// Start starts the project's containers in dependency order, first
// waiting for each dependency's condition.
func (s *Service) Start(ctx context.Context, p *types.Project, o StartOptions) error {
	err := graph.InDependencyOrder(ctx, p, func(ctx context.Context, name string, svc types.ServiceConfig) error {
		if len(o.Services) > 0 && !contains(o.Services, name) {
			return nil
		}
		if err := s.waitDependencies(ctx, p, svc); err != nil {
			return err
		}
		cs, err := s.Containers(ctx, p.Name, OneoffExclude, true, name)
		if err != nil {
			return err
		}
		return parallel(cs, func(c container.Summary) error {
			if c.State == container.StateRunning {
				return nil
			}
			n := Name(c)
			s.event(containerID(n), "Starting")
			if _, err := s.API.ContainerStart(ctx, c.ID, client.ContainerStartOptions{}); err != nil {
				s.event(containerID(n), "Error")
				return fmt.Errorf("Error response from daemon: %w", unwrapDaemon(err))
			}
			s.event(containerID(n), "Started")
			return nil
		})
	})
	if err != nil || !o.Wait {
		return err
	}
	wctx := ctx
	if o.WaitTimeout > 0 {
		var cancel context.CancelFunc
		wctx, cancel = context.WithTimeout(ctx, o.WaitTimeout)
		defer cancel()
	}
	return s.waitAll(wctx, p)
}

// waitDependencies blocks until each dependency meets its condition.
func (s *Service) waitDependencies(ctx context.Context, p *types.Project, svc types.ServiceConfig) error {
	for dep, cfg := range svc.DependsOn {
		if _, ok := p.Services[dep]; !ok {
			continue // not selected (--no-deps) or disabled by a profile
		}
		cs, err := s.Containers(ctx, p.Name, OneoffExclude, true, dep)
		if err != nil {
			return err
		}
		if len(cs) == 0 && !cfg.Required {
			continue
		}
		for _, c := range cs {
			if err := s.waitCondition(ctx, c, dep, cfg.Condition); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Service) waitCondition(ctx context.Context, c container.Summary, service, condition string) error {
	n := Name(c)
	switch condition {
	case types.ServiceConditionHealthy:
		s.event(containerID(n), "Waiting")
		for {
			st, err := s.state(ctx, c.ID)
			if err != nil {
				return err
			}
			if st.Health == nil {
				s.event(containerID(n), "Error")
				return fmt.Errorf("dependency failed to start: container %s has no healthcheck configured", n)
			}
			switch st.Health.Status {
			case container.Healthy:
				s.event(containerID(n), "Healthy")
				return nil
			case container.Unhealthy:
				s.event(containerID(n), "Error")
				return fmt.Errorf("dependency failed to start: container %s is unhealthy", n)
			}
			if st.Status == container.StateExited || st.Status == container.StateDead {
				s.event(containerID(n), "Error")
				return fmt.Errorf("dependency failed to start: container %s exited (%d)", n, st.ExitCode)
			}
			if err := sleep(ctx); err != nil {
				return err
			}
		}
	case types.ServiceConditionCompletedSuccessfully:
		s.event(containerID(n), "Waiting")
		for {
			st, err := s.state(ctx, c.ID)
			if err != nil {
				return err
			}
			if st.Status == container.StateExited || st.Status == container.StateDead {
				if st.ExitCode != 0 {
					s.event(containerID(n), "Error")
					return fmt.Errorf("service %q didn't complete successfully: exit %d", service, st.ExitCode)
				}
				s.event(containerID(n), "Exited")
				return nil
			}
			if err := sleep(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// waitAll is up --wait: every container running, and healthy where it
// has a health check; one that exits with 0 is fine (a one-shot job).
func (s *Service) waitAll(ctx context.Context, p *types.Project) error {
	cs, err := s.Containers(ctx, p.Name, OneoffExclude, true)
	if err != nil {
		return err
	}
	return parallel(cs, func(c container.Summary) error {
		n := Name(c)
		s.event(containerID(n), "Waiting")
		for {
			st, err := s.state(ctx, c.ID)
			if err != nil {
				return err
			}
			switch {
			case st.Status == container.StateExited && st.ExitCode == 0:
				s.event(containerID(n), "Exited")
				return nil
			case st.Status == container.StateExited || st.Status == container.StateDead:
				s.event(containerID(n), "Error")
				return fmt.Errorf("container %s exited (%d)", n, st.ExitCode)
			case st.Health != nil && st.Health.Status == container.Unhealthy:
				s.event(containerID(n), "Error")
				return fmt.Errorf("container %s is unhealthy", n)
			case st.Health != nil && st.Health.Status == container.Healthy:
				s.event(containerID(n), "Healthy")
				return nil
			case st.Health == nil && st.Running:
				s.event(containerID(n), "Healthy")
				return nil
			}
			if err := sleep(ctx); err != nil {
				if ctx.Err() == context.DeadlineExceeded {
					return fmt.Errorf("timeout waiting for %s", n)
				}
				return err
			}
		}
	})
}

func (s *Service) state(ctx context.Context, id string) (*container.State, error) {
	res, err := s.API.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return nil, err
	}
	if res.Container.State == nil {
		return &container.State{}, nil
	}
	return res.Container.State, nil
}

func sleep(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(pollInterval):
		return nil
	}
}
