package network

import (
	"context"
	"fmt"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/command/image"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

const ingressWarning = "WARNING! Before removing the routing-mesh network, " +
	"make sure all the nodes in your swarm run the same docker engine version. " +
	"Otherwise, removal may not be effective and functionality of newly create " +
	"ingress networks will be impaired.\nAre you sure you want to continue?"

func newRemoveCommand(c *command.Cli) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:     "rm NETWORK [NETWORK...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more networks",
		Args:    command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRemove(cmd.Context(), c, args, force)
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not error if the network does not exist")
	return cmd
}

// runRemove removes each network in turn; like docker it prints each
// error as it happens and ends with "exit status 1" if any failed.
func runRemove(ctx context.Context, c *command.Cli, names []string, force bool) error {
	failed := false
	for _, name := range names {
		// docker asks before removing a swarm ingress network.
		if res, err := c.Client().NetworkInspect(ctx, name, client.NetworkInspectOptions{}); err == nil && res.Network.Ingress {
			if !image.Confirm(ctx, c.In(), c.Out(), ingressWarning) {
				continue
			}
		}
		if _, err := c.Client().NetworkRemove(ctx, name, client.NetworkRemoveOptions{}); err != nil {
			if force && cerrdefs.IsNotFound(err) {
				continue
			}
			fmt.Fprintln(c.Err(), err)
			failed = true
			continue
		}
		fmt.Fprintln(c.Out(), name)
	}
	if failed {
		return command.StatusError{StatusCode: 1, Status: "exit status 1"}
	}
	return nil
}
