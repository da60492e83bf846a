package service

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/berth-project/berth/cli/command"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

// waitConverged waits until the service has as many running tasks as it
// wants, stable for the update monitor period, and prints the final frame
// of docker's progress display. docker redraws that display in place
// while it waits; berth prints only where it ended (or the error), which
// keeps piped output the same as docker's last frame.
func waitConverged(ctx context.Context, c *command.Cli, id string, quiet bool) error {
	out := c.Out()
	if quiet {
		out = io.Discard
	}
	api := c.Client()
	var stableSince time.Time
	for {
		svc, err := api.ServiceInspect(ctx, id, client.ServiceInspectOptions{})
		if err != nil {
			return err
		}
		s := svc.Service
		if s.Spec.Mode.ReplicatedJob != nil || s.Spec.Mode.GlobalJob != nil {
			// Jobs finish rather than converge; docker's job progress is
			// not drawn, so there is nothing to wait for here.
			return nil
		}
		if u := s.UpdateStatus; u != nil && (u.State == swarm.UpdateStatePaused || u.State == swarm.UpdateStateRollbackPaused) {
			return fmt.Errorf("service update paused: %s", u.Message)
		}
		if u := s.UpdateStatus; u != nil && u.State == swarm.UpdateStateRollbackCompleted {
			fmt.Fprintf(out, "rollback: %s\n", u.Message)
			return fmt.Errorf("service rolled back: %s", u.Message)
		}
		tasks, err := api.TaskList(ctx, client.TaskListOptions{Filters: make(client.Filters).Add("service", id).Add("desired-state", "running")})
		if err != nil {
			return err
		}
		running := 0
		for _, t := range tasks.Items {
			if t.Status.State == swarm.TaskStateRunning && t.DesiredState == swarm.TaskStateRunning {
				running++
			}
		}
		want, known := desiredTasks(ctx, api, s)
		updating := s.UpdateStatus != nil && (s.UpdateStatus.State == swarm.UpdateStateUpdating || s.UpdateStatus.State == swarm.UpdateStateRollbackStarted)
		if known && running == want && !updating {
			monitor := 5 * time.Second
			if s.Spec.UpdateConfig != nil && s.Spec.UpdateConfig.Monitor != 0 {
				monitor = s.Spec.UpdateConfig.Monitor
			}
			if stableSince.IsZero() {
				stableSince = time.Now()
			}
			if time.Since(stableSince) >= monitor {
				printFinal(out, want)
				return nil
			}
		} else {
			stableSince = time.Time{}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// desiredTasks is the replica count, or for global services the number of
// nodes that can run a task.
func desiredTasks(ctx context.Context, api *client.Client, s swarm.Service) (int, bool) {
	switch {
	case s.Spec.Mode.Replicated != nil && s.Spec.Mode.Replicated.Replicas != nil:
		return int(*s.Spec.Mode.Replicated.Replicas), true
	case s.Spec.Mode.Global != nil:
		nodes, err := api.NodeList(ctx, client.NodeListOptions{})
		if err != nil {
			return 0, false
		}
		n := 0
		for _, node := range nodes.Items {
			if node.Spec.Availability == swarm.NodeAvailabilityActive && node.Status.State == swarm.NodeStateReady {
				n++
			}
		}
		return n, true
	}
	// Jobs do not converge to running tasks; docker's job progress is not
	// drawn here.
	return 0, false
}

func printFinal(out io.Writer, n int) {
	bar := "[" + strings.Repeat("=", 49) + ">] "
	fmt.Fprintf(out, "overall progress: %d out of %d tasks \n", n, n)
	for i := 1; i <= n && n <= 10; i++ {
		fmt.Fprintf(out, "%d/%d: running   %s\n", i, n, bar)
	}
	fmt.Fprint(out, "verify: Service converged \n")
}
