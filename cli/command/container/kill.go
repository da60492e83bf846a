package container

import (
	"context"

	"github.com/berth-project/berth/cli/command"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newKillCommand(c *command.Cli) *cobra.Command {
	var signal string
	cmd := &cobra.Command{
		Use:   "kill [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Kill one or more running containers",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl := c.Client()
			return forEachContainer(cmd.Context(), c.Out(), args, func(ctx context.Context, id string) error {
				_, err := cl.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: signal})
				return err
			}, nil)
		},
	}
	cmd.Flags().StringVarP(&signal, "signal", "s", "", "Signal to send to the container")
	return cmd
}
