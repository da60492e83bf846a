package swarm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type initOpts struct {
	listenAddr, advertiseAddr, dataPathAddr, availability string
	dataPathPort, subnetSize                              uint32
	forceNewCluster                                       bool
	defaultAddrPool                                       []string
	spec                                                  specOpts
}

func newInitCommand(c *command.Cli) *cobra.Command {
	var o initOpts
	cmd := &cobra.Command{
		Use:   "init [OPTIONS]",
		Short: "Initialize a swarm",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := o.request(cmd)
			if err != nil {
				return err
			}
			return runInit(cmd.Context(), c, req)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.listenAddr, "listen-addr", "0.0.0.0:2377", "Listen address (format: <ip|interface>[:port])")
	f.StringVar(&o.advertiseAddr, "advertise-addr", "", "Advertised address (format: <ip|interface>[:port])")
	f.StringVar(&o.dataPathAddr, "data-path-addr", "", "Address or interface to use for data path traffic (format: <ip|interface>)")
	f.Uint32Var(&o.dataPathPort, "data-path-port", 0, "Port number to use for data path traffic (1024 - 49151). If no value is set or is set to 0, the default port (4789) is used.")
	f.BoolVar(&o.forceNewCluster, "force-new-cluster", false, "Force create a new cluster from current state")
	f.StringVar(&o.availability, "availability", "active", `Availability of the node ("active", "pause", "drain")`)
	f.StringSliceVar(&o.defaultAddrPool, "default-addr-pool", nil, "default address pool in CIDR format")
	f.Uint32Var(&o.subnetSize, "default-addr-pool-mask-length", 24, "default address pool subnet mask length")
	addSpecFlags(f, &o.spec)
	return cmd
}

func (o *initOpts) request(cmd *cobra.Command) (client.SwarmInitOptions, error) {
	req := client.SwarmInitOptions{
		ListenAddr:       o.listenAddr,
		AdvertiseAddr:    o.advertiseAddr,
		DataPathAddr:     o.dataPathAddr,
		DataPathPort:     o.dataPathPort,
		ForceNewCluster:  o.forceNewCluster,
		AutoLockManagers: o.spec.autolock,
		SubnetSize:       o.subnetSize,
	}
	f := cmd.Flags()
	if err := o.spec.merge(&req.Spec, f); err != nil {
		return req, err
	}
	for _, p := range o.defaultAddrPool {
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			return req, fmt.Errorf("invalid argument %q for \"--default-addr-pool\" flag: invalid CIDR address: %s", p, p)
		}
		req.DefaultAddrPool = append(req.DefaultAddrPool, pfx)
	}
	if f.Changed("availability") {
		a, err := parseAvailability(o.availability)
		if err != nil {
			return req, err
		}
		req.Availability = a
	}
	return req, nil
}

func runInit(ctx context.Context, c *command.Cli, req client.SwarmInitOptions) error {
	api := c.Client()
	res, err := api.SwarmInit(ctx, req)
	if err != nil {
		if strings.Contains(err.Error(), "could not choose an IP address to advertise") ||
			strings.Contains(err.Error(), "could not find the system's IP address") {
			return errors.New(err.Error() + " - specify one with --advertise-addr")
		}
		return err
	}
	out := c.Out()
	fmt.Fprintf(out, "Swarm initialized: current node (%s) is now a manager.\n\n", res.NodeID)
	if err := printJoinCommand(ctx, c, res.NodeID, true, false); err != nil {
		return err
	}
	fmt.Fprint(out, "To add a manager to this swarm, run 'docker swarm join-token manager' and follow the instructions.\n\n")
	if req.AutoLockManagers {
		key, err := api.SwarmGetUnlockKey(ctx)
		if err != nil {
			return fmt.Errorf("could not fetch unlock key: %w", err)
		}
		printUnlockCommand(out, key.Key)
	}
	return nil
}

// printJoinCommand prints the `swarm join` line for the requested roles,
// with the address this manager advertises to the cluster.
func printJoinCommand(ctx context.Context, c *command.Cli, nodeID string, worker, manager bool) error {
	api := c.Client()
	sw, err := api.SwarmInspect(ctx, client.SwarmInspectOptions{})
	if err != nil {
		return err
	}
	node, err := api.NodeInspect(ctx, nodeID, client.NodeInspectOptions{})
	if err != nil {
		return err
	}
	if node.Node.ManagerStatus == nil {
		return nil
	}
	addr := node.Node.ManagerStatus.Addr
	if worker {
		fmt.Fprintf(c.Out(), "To add a worker to this swarm, run the following command:\n\n    docker swarm join --token %s %s\n\n", sw.Swarm.JoinTokens.Worker, addr)
	}
	if manager {
		fmt.Fprintf(c.Out(), "To add a manager to this swarm, run the following command:\n\n    docker swarm join --token %s %s\n\n", sw.Swarm.JoinTokens.Manager, addr)
	}
	return nil
}

func printUnlockCommand(out io.Writer, key string) {
	if key == "" {
		return
	}
	fmt.Fprintf(out, "To unlock a swarm manager after it restarts, run the `docker swarm unlock`\n"+
		"command and provide the following key:\n\n    %s\n\n"+
		"Remember to store this key in a password manager, since without it you\n"+
		"will not be able to restart the manager.\n", key)
}
