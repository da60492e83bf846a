// Package network implements `docker network` (create, ls, inspect,
// connect, disconnect, rm, prune) over the Engine API client, with the
// flags, output and exit codes of the docker CLI v28.
package network

import (
	"github.com/berth-project/berth/cli/command"
	"github.com/spf13/cobra"
)

// AddCommands registers the `network` group.
func AddCommands(root *cobra.Command, c *command.Cli) {
	root.AddCommand(newNetworkCommand(c))
}

func newNetworkCommand(c *command.Cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "network",
		Short: "Manage networks",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cmd.SetOut(c.Out())
			return cmd.Help()
		},
	}
	cmd.AddCommand(
		newConnectCommand(c),
		newCreateCommand(c),
		newDisconnectCommand(c),
		newInspectCommand(c),
		newListCommand(c),
		newRemoveCommand(c),
		NewPruneCommand(c),
	)
	return cmd
}
