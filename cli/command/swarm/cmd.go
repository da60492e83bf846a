// Package swarm implements docker's `swarm` commands (init, join,
// join-token, leave, update, unlock, unlock-key, ca) over the Engine API
// client, printing what the docker CLI v28 prints.
package swarm

import (
	"github.com/berth-project/berth/cli/command"
	"github.com/spf13/cobra"
)

// AddCommands registers the `swarm` group.
func AddCommands(root *cobra.Command, c *command.Cli) {
	root.AddCommand(newSwarmCommand(c))
}

func newSwarmCommand(c *command.Cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "swarm",
		Short: "Manage Swarm",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cmd.SetOut(c.Out())
			return cmd.Help()
		},
	}
	cmd.AddCommand(
		newInitCommand(c),
		newJoinCommand(c),
		newJoinTokenCommand(c),
		newLeaveCommand(c),
		newUpdateCommand(c),
		newUnlockCommand(c),
		newUnlockKeyCommand(c),
		newCACommand(c),
	)
	return cmd
}
