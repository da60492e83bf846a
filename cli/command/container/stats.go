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
	set := newStatsSet(refs)
	var wg sync.WaitGroup
	var errMu sync.Mutex
	var errs []string
	for i, ref := range refs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := set.collect(ctx, c.Client(), i, ref, !o.noStream); err != nil && len(args) > 0 {
				errMu.Lock()
				errs = append(errs, err.Error())
				errMu.Unlock()
			}
		}()
	}
	if o.noStream {
		wg.Wait()
		if len(errs) > 0 {
			return errors.New(strings.Join(errs, "\n"))
		}
		return set.render(c.Out(), o)
	}
	// Streaming: redraw the table every second, as docker does, until
	// interrupted or every stream has ended.
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
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
	s := &statsSet{entries: make([]statsEntry, len(refs))}
	for i, r := range refs {
		s.entries[i] = statsEntry{container: r, id: r, invalid: true}
	}
	return s
}

func (s *statsSet) set(i int, e statsEntry) {
	s.mu.Lock()
	s.entries[i] = e
	s.mu.Unlock()
}

func (s *statsSet) collect(ctx context.Context, api *client.Client, i int, ref string, stream bool) error {
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
		s.set(i, newStatsEntry(ref, &v))
		if !stream {
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
