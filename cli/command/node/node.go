// Package node implements docker's `node` commands (ls, inspect, update,
// promote, demote, rm, ps) over the Engine API client, printing what the
// docker CLI v28 prints.
package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/command/swarmutil"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// AddCommands registers the `node` group.
func AddCommands(root *cobra.Command, c *command.Cli) {
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Manage Swarm nodes",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cmd.SetOut(c.Out())
			return cmd.Help()
		},
	}
	cmd.AddCommand(newListCommand(c), newInspectCommand(c), newUpdateCommand(c),
		newPromoteCommand(c), newDemoteCommand(c), newRemoveCommand(c), newPsCommand(c))
	root.AddCommand(cmd)
}

// resolveSelf turns docker's "self" into this node's ID (inspect and ps
// accept it; the other commands pass names through to the daemon).
func resolveSelf(ctx context.Context, api *client.Client, ref string) (string, error) {
	if ref != "self" {
		return ref, nil
	}
	info, err := api.Info(ctx, client.InfoOptions{})
	if err != nil {
		return "", err
	}
	if info.Info.Swarm.NodeID == "" {
		return "", fmt.Errorf("this node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again")
	}
	return info.Info.Swarm.NodeID, nil
}

// updateNode reads a node, lets edit change its spec and writes it back.
func updateNode(ctx context.Context, api *client.Client, ref string, edit func(*swarm.NodeSpec) error) error {
	res, err := api.NodeInspect(ctx, ref, client.NodeInspectOptions{})
	if err != nil {
		return err
	}
	spec := res.Node.Spec
	if err := edit(&spec); err != nil {
		return err
	}
	_, err = api.NodeUpdate(ctx, res.Node.ID, client.NodeUpdateOptions{Version: res.Node.Version, Spec: spec})
	return err
}

func newUpdateCommand(c *command.Cli) *cobra.Command {
	var (
		availability, role string
		labelAdd, labelRm  []string
	)
	cmd := &cobra.Command{
		Use:   "update [OPTIONS] NODE",
		Short: "Update a node",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := cmd.Flags()
			err := updateNode(cmd.Context(), c.Client(), args[0], func(spec *swarm.NodeSpec) error {
				return editSpec(spec, f.Changed("availability"), availability, f.Changed("role"), role, labelAdd, labelRm)
			})
			if err != nil {
				return err
			}
			fmt.Fprintln(c.Out(), args[0])
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&availability, "availability", "", `Availability of the node ("active", "pause", "drain")`)
	f.StringVar(&role, "role", "", `Role of the node ("worker", "manager")`)
	f.StringSliceVar(&labelAdd, "label-add", nil, `Add or update a node label ("key=value")`)
	f.StringSliceVar(&labelRm, "label-rm", nil, "Remove a node label if exists")
	return cmd
}

// editSpec applies `node update`'s flags to a spec, with docker's errors.
func editSpec(spec *swarm.NodeSpec, setAvail bool, availability string, setRole bool, role string, labelAdd, labelRm []string) error {
	if setRole {
		switch r := swarm.NodeRole(role); r {
		case swarm.NodeRoleWorker, swarm.NodeRoleManager:
			spec.Role = r
		default:
			return fmt.Errorf("invalid role %q, only worker and manager are supported", role)
		}
	}
	if setAvail {
		switch a := swarm.NodeAvailability(availability); a {
		case swarm.NodeAvailabilityActive, swarm.NodeAvailabilityPause, swarm.NodeAvailabilityDrain:
			spec.Availability = a
		default:
			return fmt.Errorf("invalid availability %q, only active, pause and drain are supported", availability)
		}
	}
	if spec.Labels == nil {
		spec.Labels = map[string]string{}
	}
	for k, v := range swarmutil.Labels(labelAdd) {
		spec.Labels[k] = v
	}
	for _, k := range labelRm {
		if _, ok := spec.Labels[k]; !ok {
			return fmt.Errorf("key %s doesn't exist in node's labels", k)
		}
		delete(spec.Labels, k)
	}
	return nil
}

func newPromoteCommand(c *command.Cli) *cobra.Command {
	return roleCommand(c, "promote NODE [NODE...]", "Promote one or more nodes to manager in the swarm",
		swarm.NodeRoleManager, "Node %s is already a manager.\n", "Node %s promoted to a manager in the swarm.\n")
}

func newDemoteCommand(c *command.Cli) *cobra.Command {
	return roleCommand(c, "demote NODE [NODE...]", "Demote one or more nodes from manager in the swarm",
		swarm.NodeRoleWorker, "Node %s is already a worker.\n", "Manager %s demoted in the swarm.\n")
}

// errNoChange skips the update of a node that already has the role.
var errNoChange = errors.New("node role unchanged")

func roleCommand(c *command.Cli, use, short string, role swarm.NodeRole, already, done string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, ref := range args {
				err := updateNode(cmd.Context(), c.Client(), ref, func(spec *swarm.NodeSpec) error {
					if spec.Role == role {
						return errNoChange
					}
					spec.Role = role
					return nil
				})
				switch {
				case errors.Is(err, errNoChange):
					fmt.Fprintf(c.Out(), already, ref)
				case err != nil:
					return err
				default:
					fmt.Fprintf(c.Out(), done, ref)
				}
			}
			return nil
		},
	}
}

func newRemoveCommand(c *command.Cli) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:     "rm [OPTIONS] NODE [NODE...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more nodes from the swarm",
		Args:    command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return swarmutil.RemoveEach(c.Out(), args, func(n string) error {
				_, err := c.Client().NodeRemove(cmd.Context(), n, client.NodeRemoveOptions{Force: force})
				return err
			})
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Force remove a node from the swarm")
	return cmd
}
