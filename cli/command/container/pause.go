package container

import (
	"context"

	"github.com/berth-project/berth/cli/command"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newPauseCommand(c *command.Cli) *cobra.Command {
	return &cobra.Command{
		Use:   "pause CONTAINER [CONTAINER...]",
		Short: "Pause all processes within one or more containers",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl := c.Client()
			return forEachContainer(cmd.Context(), c.Out(), args, func(ctx context.Context, id string) error {
				_, err := cl.ContainerPause(ctx, id, client.ContainerPauseOptions{})
				return err
			}, nil)
		},
	}
}
