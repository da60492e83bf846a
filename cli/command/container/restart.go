package container

import (
	"context"

	"github.com/berth-project/berth/cli/command"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newRestartCommand(c *command.Cli) *cobra.Command {
	var (
		signal  string
		timeout int
	)
	cmd := &cobra.Command{
		Use:   "restart [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Restart one or more containers",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var t *int
			if cmd.Flags().Changed("timeout") || cmd.Flags().Changed("time") {
				t = &timeout
			}
			cl := c.Client()
			return forEachContainer(cmd.Context(), c.Out(), args, func(ctx context.Context, id string) error {
				_, err := cl.ContainerRestart(ctx, id, client.ContainerRestartOptions{Signal: signal, Timeout: t})
				return err
			}, nil)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&signal, "signal", "s", "", "Signal to send to the container")
	f.IntVarP(&timeout, "timeout", "t", 0, "Seconds to wait before killing the container")
	f.IntVar(&timeout, "time", 0, "Seconds to wait before killing the container (deprecated: use --timeout)")
	_ = f.MarkHidden("time")
	return cmd
}
