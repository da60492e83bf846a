package swarm

import (
	"fmt"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newJoinCommand(c *command.Cli) *cobra.Command {
	var (
		req          client.SwarmJoinOptions
		availability string
	)
	cmd := &cobra.Command{
		Use:   "join [OPTIONS] HOST:PORT",
		Short: "Join a swarm as a node and/or manager",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.RemoteAddrs = []string{args[0]}
			if cmd.Flags().Changed("availability") {
				a, err := parseAvailability(availability)
				if err != nil {
					return err
				}
				req.Availability = a
			}
			ctx := cmd.Context()
			api := c.Client()
			if _, err := api.SwarmJoin(ctx, req); err != nil {
				return err
			}
			info, err := api.Info(ctx, client.InfoOptions{})
			if err != nil {
				return err
			}
			if info.Info.Swarm.ControlAvailable {
				fmt.Fprintln(c.Out(), "This node joined a swarm as a manager.")
			} else {
				fmt.Fprintln(c.Out(), "This node joined a swarm as a worker.")
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.ListenAddr, "listen-addr", "0.0.0.0:2377", "Listen address (format: <ip|interface>[:port])")
	f.StringVar(&req.AdvertiseAddr, "advertise-addr", "", "Advertised address (format: <ip|interface>[:port])")
	f.StringVar(&req.DataPathAddr, "data-path-addr", "", "Address or interface to use for data path traffic (format: <ip|interface>)")
	f.StringVar(&req.JoinToken, "token", "", "Token for entry into the swarm")
	f.StringVar(&availability, "availability", "active", `Availability of the node ("active", "pause", "drain")`)
	return cmd
}

func newJoinTokenCommand(c *command.Cli) *cobra.Command {
	var rotate, quiet bool
	cmd := &cobra.Command{
		Use:   "join-token [OPTIONS] (worker|manager)",
		Short: "Manage join tokens",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			role := args[0]
			worker, manager := role == "worker", role == "manager"
			if !worker && !manager {
				return fmt.Errorf("unknown role %s", role)
			}
			ctx := cmd.Context()
			api := c.Client()
			if rotate {
				sw, err := api.SwarmInspect(ctx, client.SwarmInspectOptions{})
				if err != nil {
					return err
				}
				if _, err := api.SwarmUpdate(ctx, client.SwarmUpdateOptions{
					Version: sw.Swarm.Version, Spec: sw.Swarm.Spec,
					RotateWorkerToken: worker, RotateManagerToken: manager,
				}); err != nil {
					return err
				}
				if !quiet {
					fmt.Fprintf(c.Out(), "Successfully rotated %s join token.\n\n", role)
				}
			}
			// Read again after a rotation: the new token is what to print.
			sw, err := api.SwarmInspect(ctx, client.SwarmInspectOptions{})
			if err != nil {
				return err
			}
			if quiet {
				if worker {
					fmt.Fprintln(c.Out(), sw.Swarm.JoinTokens.Worker)
				} else {
					fmt.Fprintln(c.Out(), sw.Swarm.JoinTokens.Manager)
				}
				return nil
			}
			info, err := api.Info(ctx, client.InfoOptions{})
			if err != nil {
				return err
			}
			return printJoinCommand(ctx, c, info.Info.Swarm.NodeID, worker, manager)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&rotate, "rotate", false, "Rotate join token")
	f.BoolVarP(&quiet, "quiet", "q", false, "Only display token")
	return cmd
}

func newLeaveCommand(c *command.Cli) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "leave [OPTIONS]",
		Short: "Leave the swarm",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := c.Client().SwarmLeave(cmd.Context(), client.SwarmLeaveOptions{Force: force}); err != nil {
				return err
			}
			fmt.Fprintln(c.Out(), "Node left the swarm.")
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Force this node to leave the swarm, ignoring warnings")
	return cmd
}

// trimKey is how docker reads an unlock key typed or piped in.
func trimKey(s string) string { return strings.TrimSpace(s) }
