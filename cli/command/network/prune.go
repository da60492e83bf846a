package network

import (
	"context"
	"fmt"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/command/image"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

const pruneWarning = `WARNING! This will remove all custom networks not used by at least one container.
Are you sure you want to continue?`

// NewPruneCommand is `docker network prune`.
func NewPruneCommand(c *command.Cli) *cobra.Command {
	var force bool
	filter := image.NewFilterOpt()
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove all unused networks",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			// A "no" answer ends quietly with status 0, as in docker.
			if !force && !image.Confirm(cmd.Context(), c.In(), c.Out(), pruneWarning) {
				return nil
			}
			out, err := RunPrune(cmd.Context(), c, filter.Value())
			if err != nil {
				return err
			}
			if out != "" {
				fmt.Fprintln(c.Out(), out)
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	cmd.Flags().Var(filter, "filter", `Provide filter values (e.g. "until=<timestamp>")`)
	return cmd
}

// RunPrune calls the prune endpoint without asking and returns docker's
// "Deleted Networks:" listing ("" when nothing was removed).
func RunPrune(ctx context.Context, c *command.Cli, filters client.Filters) (string, error) {
	res, err := c.Client().NetworkPrune(ctx, client.NetworkPruneOptions{Filters: filters})
	if err != nil {
		return "", err
	}
	if len(res.Report.NetworksDeleted) == 0 {
		return "", nil
	}
	var sb strings.Builder
	sb.WriteString("Deleted Networks:\n")
	for _, n := range res.Report.NetworksDeleted {
		sb.WriteString(n + "\n")
	}
	return sb.String(), nil
}
