package container

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/format"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newPruneCommand(c *command.Cli) *cobra.Command {
	var (
		force   bool
		filters []string
	)
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove all stopped containers",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f := client.Filters{}
			for _, fl := range filters {
				k, v, ok := strings.Cut(fl, "=")
				if !ok {
					return fmt.Errorf("bad format of filter (expected name=value)")
				}
				f.Add(k, v)
			}
			if !force {
				fmt.Fprint(c.Out(), "WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ")
				line, _ := bufio.NewReader(c.In()).ReadString('\n')
				if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
					return command.StatusError{Status: "", StatusCode: 1}
				}
			}
			r, err := c.Client().ContainerPrune(cmd.Context(), client.ContainerPruneOptions{Filters: f})
			if err != nil {
				return err
			}
			if len(r.Report.ContainersDeleted) > 0 {
				fmt.Fprintln(c.Out(), "Deleted Containers:")
				for _, id := range r.Report.ContainersDeleted {
					fmt.Fprintln(c.Out(), id)
				}
				fmt.Fprintln(c.Out())
			}
			fmt.Fprintf(c.Out(), "Total reclaimed space: %s\n", format.HumanSize(int64(r.Report.SpaceReclaimed)))
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	cmd.Flags().StringArrayVar(&filters, "filter", nil, `Provide filter values (e.g. "until=<timestamp>")`)
	return cmd
}
