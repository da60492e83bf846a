// Package service implements docker's `service` commands (create,
// inspect, ls, ps, logs, scale, update, rollback, rm) over the Engine API
// client, printing what the docker CLI v28 prints.
package service

import (
	"fmt"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/command/swarmutil"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// AddCommands registers the `service` group.
func AddCommands(root *cobra.Command, c *command.Cli) {
	cmd := &cobra.Command{
		Use:   "service",
		Short: "Manage Swarm services",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cmd.SetOut(c.Out())
			return cmd.Help()
		},
	}
	cmd.AddCommand(newCreateCommand(c), newInspectCommand(c), newListCommand(c), newPsCommand(c),
		newLogsCommand(c), newScaleCommand(c), newUpdateCommand(c), newRollbackCommand(c), newRemoveCommand(c))
	root.AddCommand(cmd)
}

func newCreateCommand(c *command.Cli) *cobra.Command {
	var (
		o             serviceOpts
		detach, quiet bool
	)
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create a new service",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			api := c.Client()
			spec, err := o.toSpec(ctx, api, cmd.Flags(), args[0], args[1:])
			if err != nil {
				return err
			}
			opt := client.ServiceCreateOptions{Spec: spec, QueryRegistry: !o.kernel.noResolveImage}
			if o.kernel.withRegistryAuth {
				opt.EncodedRegistryAuth = c.RegistryAuthFor(args[0])
			}
			res, err := api.ServiceCreate(ctx, opt)
			if err != nil {
				return err
			}
			for _, w := range res.Warnings {
				fmt.Fprintln(c.Err(), w)
			}
			fmt.Fprintln(c.Out(), res.ID)
			if detach {
				return nil
			}
			return waitConverged(ctx, c, res.ID, quiet)
		},
	}
	cmd.Flags().SetInterspersed(false)
	f := cmd.Flags()
	addCreateFlags(f, &o)
	addCommonFlags(f, &o)
	f.BoolVarP(&detach, "detach", "d", false, "Exit immediately instead of waiting for the service to converge")
	f.BoolVarP(&quiet, "quiet", "q", false, "Suppress progress output")
	return cmd
}

func newRemoveCommand(c *command.Cli) *cobra.Command {
	return &cobra.Command{
		Use:     "rm SERVICE [SERVICE...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more services",
		Args:    command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return swarmutil.RemoveEach(c.Out(), args, func(n string) error {
				_, err := c.Client().ServiceRemove(cmd.Context(), n, client.ServiceRemoveOptions{})
				return err
			})
		},
	}
}
