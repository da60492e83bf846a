package compose

import (
	"context"
	"fmt"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// WatchOptions steer an attached up.
type WatchOptions struct {
	Abort        bool   // --abort-on-container-exit
	ExitCodeFrom string // --exit-code-from (implies Abort)
	Timeout      *int
	Log          LogOptions
}

// ErrInterrupted is what Watch returns after a Ctrl-C stopped the project.
var ErrInterrupted = fmt.Errorf("interrupted")

// Watch is the attached half of up: it prints the logs of the services'
// containers until they all exit (or, with Abort, until the first one
// does, then stops the rest). It returns the exit code Compose exits with.
// Cancelling ctx (Ctrl-C) stops the project gracefully.
func (s *Service) Watch(ctx context.Context, p *types.Project, services []string, lp *LogPrinter, o WatchOptions) (int, error) {
	cs, err := s.Containers(context.WithoutCancel(ctx), p.Name, OneoffExclude, true, services...)
	if err != nil {
		return 1, err
	}
	var short []string
	for _, c := range cs {
		short = append(short, ShortName(p.Name, c))
		lp.add(ShortName(p.Name, c))
	}
	fmt.Fprintf(lp.W, "Attaching to %s\n", joinNames(short))
	type exit struct {
		service string
		code    int
	}
	exits := make(chan exit, len(cs))
	logCtx, stopLogs := context.WithCancel(context.WithoutCancel(ctx))
	defer stopLogs()
	lo := o.Log
	lo.Follow = true
	for _, c := range cs {
		name := ShortName(p.Name, c)
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = s.streamLogs(logCtx, lp, name, c.ID, lo)
		}()
		go func() {
			w := s.API.ContainerWait(logCtx, c.ID, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
			code := -1
			select {
			case r := <-w.Result:
				code = int(r.StatusCode)
			case <-w.Error:
				return
			}
			// Let the log stream drain so the exit line comes last.
			select {
			case <-done:
			case <-time.After(2 * time.Second):
			}
			lp.Status(name, fmt.Sprintf("exited with code %d", code))
			exits <- exit{c.Labels[ServiceLabel], code}
		}()
	}
	abort := o.Abort || o.ExitCodeFrom != ""
	code := 0
	for n := 0; n < len(cs); n++ {
		select {
		case e := <-exits:
			if o.ExitCodeFrom != "" && e.service == o.ExitCodeFrom {
				code = e.code
			}
			if !abort {
				continue
			}
			if o.ExitCodeFrom == "" {
				code = e.code
			}
			fmt.Fprintln(lp.W, "Aborting on container exit...")
			if err := s.Stop(context.WithoutCancel(ctx), p, nil, o.Timeout); err != nil {
				return 1, err
			}
			if o.ExitCodeFrom != "" && e.service != o.ExitCodeFrom {
				code = s.exitCodeOf(context.WithoutCancel(ctx), p.Name, o.ExitCodeFrom)
			}
			return code, nil
		case <-ctx.Done():
			fmt.Fprintln(lp.W, "Gracefully stopping... (press Ctrl+C again to force)")
			if err := s.Stop(context.WithoutCancel(ctx), p, nil, o.Timeout); err != nil {
				return 1, err
			}
			return 130, ErrInterrupted
		}
	}
	return code, nil
}

func (s *Service) exitCodeOf(ctx context.Context, project, service string) int {
	cs, err := s.Containers(ctx, project, OneoffExclude, true, service)
	if err != nil || len(cs) == 0 {
		return 1
	}
	st, err := s.state(ctx, cs[0].ID)
	if err != nil {
		return 1
	}
	return st.ExitCode
}

func joinNames(ns []string) string {
	out := ""
	for i, n := range ns {
		if i > 0 {
			out += ", "
		}
		out += n
	}
	return out
}
