// Package volume implements docker's `volume` commands (create, ls,
// inspect, rm, prune) over the Engine API client, printing what the
// docker CLI v28 prints.
package volume

import (
	"github.com/berth-project/berth/cli/command"
	"github.com/spf13/cobra"
)

// AddCommands registers the `volume` group.
func AddCommands(root *cobra.Command, c *command.Cli) {
	root.AddCommand(newVolumeCommand(c))
}

func newVolumeCommand(c *command.Cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "volume COMMAND",
		Short: "Manage volumes",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cmd.SetOut(c.Out())
			return cmd.Help()
		},
	}
	cmd.AddCommand(
		newCreateCommand(c),
		newInspectCommand(c),
		newListCommand(c),
		NewPruneCommand(c),
		newRemoveCommand(c),
	)
	return cmd
}
