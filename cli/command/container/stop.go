package container

import (
	"context"

	"github.com/berth-project/berth/cli/command"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newStopCommand(c *command.Cli) *cobra.Command {
	return newStopLikeCommand(c, "stop", "Stop one or more running containers",
		func(ctx context.Context, cl *client.Client, id, signal string, t *int) error {
			_, err := cl.ContainerStop(ctx, id, client.ContainerStopOptions{Signal: signal, Timeout: t})
			return err
		})
}

func newRestartCommand(c *command.Cli) *cobra.Command {
	return newStopLikeCommand(c, "restart", "Restart one or more containers",
		func(ctx context.Context, cl *client.Client, id, signal string, t *int) error {
			_, err := cl.ContainerRestart(ctx, id, client.ContainerRestartOptions{Signal: signal, Timeout: t})
			return err
		})
}

// newStopLikeCommand builds stop and restart, which share docker's flags
// (-s, -t, hidden --time) and per-container output; only the call differs.
func newStopLikeCommand(c *command.Cli, verb, short string, call func(ctx context.Context, cl *client.Client, id, signal string, t *int) error) *cobra.Command {
	var (
		signal  string
		timeout int
	)
	cmd := &cobra.Command{
		Use:   verb + " [OPTIONS] CONTAINER [CONTAINER...]",
		Short: short,
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var t *int
			if cmd.Flags().Changed("timeout") || cmd.Flags().Changed("time") {
				t = &timeout
			}
			cl := c.Client()
			return forEachContainer(cmd.Context(), c.Out(), args, func(ctx context.Context, id string) error {
				return call(ctx, cl, id, signal, t)
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
