package builder

import (
	"fmt"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/command/image"
	"github.com/docker/go-units"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newPruneCommand(c *command.Cli) *cobra.Command {
	var force, all bool
	filter := image.NewFilterOpt()
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Remove build cache",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			msg := "WARNING! This will remove all dangling build cache."
			if all {
				msg = "WARNING! This will remove all build cache."
			}
			if !force && !image.Confirm(cmd.Context(), c.In(), c.Out(), msg+" Are you sure you want to continue?") {
				return nil
			}
			res, err := c.Client().BuildCachePrune(cmd.Context(), client.BuildCachePruneOptions{All: all, Filters: filter.Value()})
			if err != nil {
				return err
			}
			if len(res.Report.CachesDeleted) > 0 {
				fmt.Fprintln(c.Out(), "Deleted build cache objects:")
				for _, id := range res.Report.CachesDeleted {
					fmt.Fprintln(c.Out(), id)
				}
				fmt.Fprintln(c.Out())
			}
			fmt.Fprintln(c.Out(), "Total reclaimed space:", units.HumanSize(float64(res.Report.SpaceReclaimed)))
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	f.BoolVarP(&all, "all", "a", false, "Remove all unused build cache, not just dangling ones")
	f.Var(filter, "filter", `Provide filter values (e.g. "until=24h")`)
	return cmd
}
