package container

import (
	"context"

	"github.com/berth-project/berth/cli/command"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newUnpauseCommand(c *command.Cli) *cobra.Command {
	return &cobra.Command{
		Use:   "unpause CONTAINER [CONTAINER...]",
		Short: "Unpause all processes within one or more containers",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl := c.Client()
			return forEachContainer(cmd.Context(), c.Out(), args, func(ctx context.Context, id string) error {
				_, err := cl.ContainerUnpause(ctx, id, client.ContainerUnpauseOptions{})
				return err
			}, nil)
		},
	}
}
