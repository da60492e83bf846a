package image

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/docker/go-units"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

const (
	allImageWarning = `WARNING! This will remove all images without at least one container associated to them.
Are you sure you want to continue?`
	danglingWarning = `WARNING! This will remove all dangling images.
Are you sure you want to continue?`
)

// NewPruneCommand is `docker image prune`.
func NewPruneCommand(c *command.Cli) *cobra.Command {
	var force, all bool
	filter := NewFilterOpt()
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused images",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			warning := danglingWarning
			if all {
				warning = allImageWarning
			}
			// A "no" answer ends quietly with status 0, as in docker.
			if !force && !Confirm(cmd.Context(), c.In(), c.Out(), warning) {
				return nil
			}
			reclaimed, output, err := RunPrune(cmd.Context(), c, all, filter.Value())
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
	f.BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	f.BoolVarP(&all, "all", "a", false, "Remove all unused images, not just dangling ones")
	f.Var(filter, "filter", `Provide filter values (e.g. "until=<timestamp>")`)
	return cmd
}

// RunPrune calls the image prune endpoint without asking and returns the
// space reclaimed and docker's "Deleted Images:" listing (system prune
// reuses it).
func RunPrune(ctx context.Context, c *command.Cli, all bool, filters client.Filters) (uint64, string, error) {
	filters = filters.Clone()
	filters.Add("dangling", strconv.FormatBool(!all))
	res, err := c.Client().ImagePrune(ctx, client.ImagePruneOptions{Filters: filters})
	if err != nil {
		return 0, "", err
	}
	rep := res.Report
	if len(rep.ImagesDeleted) == 0 {
		return 0, "", nil
	}
	var sb strings.Builder
	sb.WriteString("Deleted Images:\n")
	for _, d := range rep.ImagesDeleted {
		if d.Untagged != "" {
			sb.WriteString("untagged: " + d.Untagged + "\n")
		} else {
			sb.WriteString("deleted: " + d.Deleted + "\n")
		}
	}
	return rep.SpaceReclaimed, sb.String(), nil
}
