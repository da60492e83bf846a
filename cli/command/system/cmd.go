// Package system implements docker's daemon-wide commands: version, info,
// events, the generic inspect, and `system df|prune|info|events`, printing
// what the docker CLI v28 prints.
package system

import (
	"github.com/berth-project/berth/cli/command"
	"github.com/spf13/cobra"
)

// Client build information shown by `version` and `info`; the root
// package or the build may overwrite them.
var (
	ClientVersion   = "28.2.2"
	ClientGitCommit = "berth"
	ClientBuildTime = ""
	ContextName     = "default"
)

// AddCommands registers version, info, events, inspect and the `system` group.
func AddCommands(root *cobra.Command, c *command.Cli) {
	root.AddCommand(
		newVersionCommand(c),
		newInfoCommand(c),
		newEventsCommand(c),
		newInspectCommand(c),
		newSystemCommand(c),
	)
}

func newSystemCommand(c *command.Cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "system",
		Short: "Manage Docker",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cmd.SetOut(c.Out())
			return cmd.Help()
		},
	}
	cmd.AddCommand(newDiskUsageCommand(c), newEventsCommand(c), newInfoCommand(c), newPruneCommand(c))
	return cmd
}
