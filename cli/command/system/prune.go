package system

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"text/template"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/command/image"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/go-units"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

const pruneConfirmTemplate = `WARNING! This will remove:
{{- range $_, $warning := .warnings }}
  - {{ $warning }}
{{- end }}
{{if .filters}}
  Items to be pruned will be filtered with:
{{- range $_, $filters := .filters }}
  - {{ $filters }}
{{- end }}
{{end}}
Are you sure you want to continue?`

type pruneOptions struct {
	force, all, volumes bool
	filter              *image.FilterOpt
}

func newPruneCommand(c *command.Cli) *cobra.Command {
	opts := pruneOptions{filter: image.NewFilterOpt()}
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused data",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPrune(cmd.Context(), c, opts)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.force, "force", "f", false, "Do not prompt for confirmation")
	f.BoolVarP(&opts.all, "all", "a", false, "Remove all unused images not just dangling ones")
	f.BoolVar(&opts.volumes, "volumes", false, "Prune anonymous volumes")
	f.Var(opts.filter, "filter", `Provide filter values (e.g. "label=<key>=<value>")`)
	return cmd
}

type pruneFunc func(ctx context.Context, c *command.Cli, all bool, f client.Filters) (uint64, string, error)

func runPrune(ctx context.Context, c *command.Cli, opts pruneOptions) error {
	filters := opts.filter.Value()
	if _, ok := filters["until"]; ok && opts.volumes {
		return fmt.Errorf(`ERROR: The "until" filter is not supported with "--volumes"`)
	}
	if !opts.force && !image.Confirm(ctx, c.In(), c.Out(), confirmMessage(opts)) {
		return nil // a "no" ends quietly with status 0, like docker
	}
	steps := []struct {
		what string
		fn   pruneFunc
	}{{"containers", pruneContainers}, {"networks", pruneNetworks}}
	if opts.volumes {
		steps = append(steps, struct {
			what string
			fn   pruneFunc
		}{"volumes", pruneVolumes})
	}
	steps = append(steps, struct {
		what string
		fn   pruneFunc
	}{"images", image.RunPrune}, struct {
		what string
		fn   pruneFunc
	}{"build cache", pruneBuildCache})
	var total uint64
	for _, s := range steps {
		n, out, err := s.fn(ctx, c, opts.all, filters)
		if err != nil {
			// Object kinds the daemon does not implement yet are skipped
			// with a note instead of aborting the whole prune.
			if cerrdefs.IsNotImplemented(err) {
				fmt.Fprintf(c.Err(), "WARNING: skipping %s: %v\n", s.what, err)
				continue
			}
			return err
		}
		total += n
		if out != "" {
			fmt.Fprintln(c.Out(), out)
		}
	}
	fmt.Fprintln(c.Out(), "Total reclaimed space:", units.HumanSize(float64(total)))
	return nil
}

// confirmMessage renders docker's warning list for the chosen options.
func confirmMessage(opts pruneOptions) string {
	warnings := []string{"all stopped containers", "all networks not used by at least one container"}
	if opts.volumes {
		warnings = append(warnings, "all anonymous volumes not used by at least one container")
	}
	if opts.all {
		warnings = append(warnings, "all images without at least one container associated to them")
	} else {
		warnings = append(warnings, "all dangling images")
	}
	if opts.all {
		warnings = append(warnings, "all build cache")
	} else {
		warnings = append(warnings, "unused build cache")
	}
	var filters []string
	fv := opts.filter.Value()
	for _, name := range []string{"label", "label!", "until"} {
		for v := range fv[name] {
			filters = append(filters, name+"="+v)
		}
	}
	sort.Strings(filters)
	var buf bytes.Buffer
	t := template.Must(template.New("").Parse(pruneConfirmTemplate))
	_ = t.Execute(&buf, map[string][]string{"warnings": warnings, "filters": filters})
	return buf.String()
}

func listing(title string, items []string) string {
	if len(items) == 0 {
		return ""
	}
	return title + "\n" + strings.Join(items, "\n") + "\n"
}

func pruneBuildCache(ctx context.Context, c *command.Cli, all bool, f client.Filters) (uint64, string, error) {
	r, err := c.Client().BuildCachePrune(ctx, client.BuildCachePruneOptions{All: all, Filters: f})
	if err != nil {
		return 0, "", err
	}
	return r.Report.SpaceReclaimed, listing("Deleted build cache objects:", r.Report.CachesDeleted), nil
}

func pruneContainers(ctx context.Context, c *command.Cli, _ bool, f client.Filters) (uint64, string, error) {
	r, err := c.Client().ContainerPrune(ctx, client.ContainerPruneOptions{Filters: f})
	if err != nil {
		return 0, "", err
	}
	return r.Report.SpaceReclaimed, listing("Deleted Containers:", r.Report.ContainersDeleted), nil
}

func pruneNetworks(ctx context.Context, c *command.Cli, _ bool, f client.Filters) (uint64, string, error) {
	r, err := c.Client().NetworkPrune(ctx, client.NetworkPruneOptions{Filters: f})
	if err != nil {
		return 0, "", err
	}
	return 0, listing("Deleted Networks:", r.Report.NetworksDeleted), nil
}

func pruneVolumes(ctx context.Context, c *command.Cli, _ bool, f client.Filters) (uint64, string, error) {
	r, err := c.Client().VolumePrune(ctx, client.VolumePruneOptions{Filters: f})
	if err != nil {
		return 0, "", err
	}
	return r.Report.SpaceReclaimed, listing("Deleted Volumes:", r.Report.VolumesDeleted), nil
}
