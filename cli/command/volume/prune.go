package volume

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/command/image"
	"github.com/docker/go-units"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

const (
	anonymousWarning = `WARNING! This will remove anonymous local volumes not used by at least one container.
Are you sure you want to continue?`
	allWarning = `WARNING! This will remove all local volumes not used by at least one container.
Are you sure you want to continue?`
)

// NewPruneCommand is `docker volume prune` (system prune reuses RunPrune).
func NewPruneCommand(c *command.Cli) *cobra.Command {
	var all, force bool
	filter := image.NewFilterOpt()
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused local volumes",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			filters := filter.Value()
			warning := anonymousWarning
			if all {
				if _, ok := filters["all"]; ok {
					return errors.New("conflicting options: cannot specify both --all and --filter all=1")
				}
				filters.Add("all", "true")
				warning = allWarning
			}
			// A "no" answer ends quietly with status 0, as in docker.
			if !force && !image.Confirm(cmd.Context(), c.In(), c.Out(), warning) {
				return nil
			}
			reclaimed, output, err := RunPrune(cmd.Context(), c, filters)
			if err != nil {
				return err
			}
			if output != "" {
				fmt.Fprintln(c.Out(), output)
			}
			fmt.Fprintln(c.Out(), "Total reclaimed space:", units.HumanSize(float64(reclaimed)))
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&all, "all", "a", false, "Remove all unused volumes, not just anonymous ones")
	f.BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	f.Var(filter, "filter", `Provide filter values (e.g. "label=<label>")`)
	return cmd
}

// RunPrune calls the volume prune endpoint without asking and returns the
// space reclaimed and docker's "Deleted Volumes:" listing.
func RunPrune(ctx context.Context, c *command.Cli, filters client.Filters) (uint64, string, error) {
	res, err := c.Client().VolumePrune(ctx, client.VolumePruneOptions{Filters: filters})
	if err != nil {
		return 0, "", err
	}
	rep := res.Report
	if len(rep.VolumesDeleted) == 0 {
		return 0, "", nil
	}
	var sb strings.Builder
	sb.WriteString("Deleted Volumes:\n")
	for _, name := range rep.VolumesDeleted {
		sb.WriteString(name + "\n")
	}
	return rep.SpaceReclaimed, sb.String(), nil
}
