package container

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/format"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type statsOptions struct {
	all, noStream, noTrunc bool
	format                 string
}

func newStatsCommand(c *command.Cli) *cobra.Command {
	var o statsOptions
	cmd := &cobra.Command{
		Use:   "stats [OPTIONS] [CONTAINER...]",
		Short: "Display a live stream of container(s) resource usage statistics",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStats(cmd.Context(), c, &o, args)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.all, "all", "a", false, "Show all containers (default shows just running)")
	f.BoolVar(&o.noStream, "no-stream", false, "Disable streaming stats and only pull the first result")
	f.BoolVar(&o.noTrunc, "no-trunc", false, "Do not truncate output")
	f.StringVar(&o.format, "format", "", "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates")
	return cmd
}

func runStats(ctx context.Context, c *command.Cli, o *statsOptions, args []string) error {
	if o.format != "" && o.format != format.TableKey && o.format != format.JSONKey {
		if _, err := format.Parse(strings.TrimPrefix(o.format, format.TableKey)); err != nil {
			return fmt.Errorf("failed to parse template: %w", err)
		}
	}
	refs := args
	if len(refs) == 0 {
		res, err := c.Client().ContainerList(ctx, client.ContainerListOptions{All: o.all})
		if err != nil {
			return err
		}
		for _, s := range res.Items {
			refs = append(refs, s.ID)
		}
	}
	set := newStatsSet(nil)
	var wg sync.WaitGroup
	var errMu sync.Mutex
	var errs []string
	watch := func(ref string) {
		if !set.add(ref) {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := set.collect(ctx, c.Client(), ref, !o.noStream)
			if err != nil && len(args) > 0 {
				errMu.Lock()
				errs = append(errs, err.Error())
				errMu.Unlock()
			}
		}()
	}
	for _, ref := range refs {
		watch(ref)
	}
	if o.noStream {
		wg.Wait()
		if len(errs) > 0 {
			return errors.New(strings.Join(errs, "\n"))
		}
		return set.render(c.Out(), o)
	}
	// Streaming: redraw the table every second, as docker does, until
	// interrupted or (for named containers) every stream has ended.
	// Without names the set follows the containers: new ones join, and
	// without --all those that stopped leave (docker follows events).
	done := make(chan struct{})
	if len(args) > 0 {
		go func() { wg.Wait(); close(done) }()
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-done:
			if len(errs) > 0 {
				return errors.New(strings.Join(errs, "\n"))
			}
			return nil
		case <-tick.C:
		}
		if len(args) == 0 {
			if res, err := c.Client().ContainerList(ctx, client.ContainerListOptions{All: o.all}); err == nil {
				live := map[string]bool{}
				for _, it := range res.Items {
					live[it.ID] = true
					watch(it.ID)
				}
				set.keep(live)
			}
		}
		if c.IsOutTerminal() {
			fmt.Fprint(c.Out(), "\033[2J\033[H")
		}
		if err := set.render(c.Out(), o); err != nil {
			return err
		}
	}
}

// statsSet keeps the latest entry of every container, in the order the
// user (or ps) gave them.
type statsSet struct {
	mu      sync.Mutex
	entries []statsEntry
}

func newStatsSet(refs []string) *statsSet {
	s := &statsSet{}
	for _, r := range refs {
		s.add(r)
	}
	return s
}

// add starts an entry for ref; false when it is there already.
func (s *statsSet) add(ref string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.entries {
		if e.container == ref {
			return false
		}
	}
	s.entries = append(s.entries, statsEntry{container: ref, id: ref, invalid: true})
	return true
}

// keep drops the entries whose container is not in live.
func (s *statsSet) keep(live map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.entries[:0]
	for _, e := range s.entries {
		if live[e.container] {
			out = append(out, e)
		}
	}
	s.entries = out
}

func (s *statsSet) set(ref string, e statsEntry) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.entries {
		if s.entries[i].container == ref {
			s.entries[i] = e
			return true
		}
	}
	return false // dropped meanwhile
}

func (s *statsSet) collect(ctx context.Context, api *client.Client, ref string, stream bool) error {
	res, err := api.ContainerStats(ctx, ref, client.ContainerStatsOptions{Stream: stream, IncludePreviousSample: true})
	if err != nil {
		return err
	}
	defer res.Body.Close()
	dec := json.NewDecoder(res.Body)
	for {
		var v container.StatsResponse
		if err := dec.Decode(&v); err != nil {
			if errors.Is(err, io.EOF) || ctx.Err() != nil {
				return nil
			}
			return err
		}
		if !s.set(ref, newStatsEntry(ref, &v)) || !stream {
			return nil
		}
	}
}

func (s *statsSet) render(w io.Writer, o *statsOptions) error {
	s.mu.Lock()
	rows := make([]any, 0, len(s.entries))
	for _, e := range s.entries {
		rows = append(rows, &statsRow{e: e, trunc: !o.noTrunc})
	}
	s.mu.Unlock()
	return format.Write(w, o.format, defaultStatsTable, rows, statsHeaders)
}
