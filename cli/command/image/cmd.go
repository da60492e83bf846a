// Package image implements docker's image commands (images, rmi, tag,
// history, load, save, import, pull, push, image inspect/prune) over the
// Engine API client, printing exactly what the docker CLI v28 prints.
package image

import (
	"github.com/berth-project/berth/cli/command"
	"github.com/spf13/cobra"
)

// AddCommands registers the top-level image verbs and the `image` group.
func AddCommands(root *cobra.Command, c *command.Cli) {
	root.AddCommand(
		newImagesCommand(c),
		newRemoveCommand(c),
		newTagCommand(c),
		newHistoryCommand(c),
		newLoadCommand(c),
		newSaveCommand(c),
		newImportCommand(c),
		newPullCommand(c),
		newPushCommand(c),
		newImageCommand(c),
	)
}

// newImageCommand is the `docker image` management group.
func newImageCommand(c *command.Cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Manage images",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cmd.SetOut(c.Out())
			return cmd.Help()
		},
	}
	ls := newImagesCommand(c)
	ls.Use = "ls [OPTIONS] [REPOSITORY[:TAG]]"
	ls.Aliases = []string{"list"}
	rm := newRemoveCommand(c)
	rm.Use = "rm [OPTIONS] IMAGE [IMAGE...]"
	rm.Aliases = []string{"rmi", "remove"}
	cmd.AddCommand(ls, rm,
		newTagCommand(c),
		newHistoryCommand(c),
		newLoadCommand(c),
		newSaveCommand(c),
		newImportCommand(c),
		newPullCommand(c),
		newPushCommand(c),
		newInspectCommand(c),
		NewPruneCommand(c),
	)
	return cmd
}
