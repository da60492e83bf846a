// Package container implements the docker-compatible container commands
// (run, create, ps, logs, exec, ...), both top-level and under
// `docker container`.
package container

import (
	"github.com/berth-project/berth/cli/command"
	"github.com/spf13/cobra"
)

// AddCommands registers the container commands on root: the `container`
// management group and docker's top-level shortcuts.
func AddCommands(root *cobra.Command, c *command.Cli) {
	group := &cobra.Command{
		Use:   "container",
		Short: "Manage containers",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cmd.SetOut(c.Err())
			return cmd.Help()
		},
	}
	ctors := []func(*command.Cli) *cobra.Command{
		newAttachCommand, newCommitCommand, newCopyCommand, newCreateCommand,
		newDiffCommand, newExecCommand, newExportCommand,
		newKillCommand, newLogsCommand, newPauseCommand, newPortCommand,
		newRenameCommand, newRestartCommand, newRmCommand, newRunCommand,
		newStartCommand, newStatsCommand, newStopCommand, newTopCommand, newUnpauseCommand,
		newUpdateCommand, newWaitCommand,
	}
	for _, ctor := range ctors {
		group.AddCommand(ctor(c))
		root.AddCommand(ctor(c))
	}
	ls := newListCommand(c)
	ls.Use = "ls [OPTIONS]"
	ls.Aliases = []string{"ps", "list"}
	// inspect and prune exist only under `container`; the top-level
	// `inspect` is the generic one from the system package.
	group.AddCommand(ls, newPruneCommand(c), newInspectCommand(c))
	root.AddCommand(group, newListCommand(c))
}
