package network

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/opts"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type connectOptions struct {
	network, container string
	ip, ip6            string
	links              *opts.ListOpts
	aliases            []string
	linkLocalIPs       []string
	driverOpts         []string
	gwPriority         int
}

func newConnectCommand(c *command.Cli) *cobra.Command {
	o := connectOptions{links: opts.NewListOpts(validateLink)}
	cmd := &cobra.Command{
		Use:   "connect [OPTIONS] NETWORK CONTAINER",
		Short: "Connect a container to a network",
		Args:  command.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.network, o.container = args[0], args[1]
			return runConnect(cmd.Context(), c, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.ip, "ip", "", `IPv4 address (e.g., "172.30.100.104")`)
	f.StringVar(&o.ip6, "ip6", "", `IPv6 address (e.g., "2001:db8::33")`)
	f.Var(o.links, "link", "Add link to another container")
	f.StringSliceVar(&o.aliases, "alias", []string{}, "Add network-scoped alias for the container")
	f.StringSliceVar(&o.linkLocalIPs, "link-local-ip", []string{}, "Add a link-local address for the container")
	f.StringSliceVar(&o.driverOpts, "driver-opt", []string{}, "driver options for the network")
	f.IntVar(&o.gwPriority, "gw-priority", 0, "Highest gw-priority provides the default gateway. Accepts positive and negative values.")
	return cmd
}

// validateLink is docker's --link check: "name" or "name:alias".
func validateLink(v string) (string, error) {
	if v == "" {
		return "", errors.New("empty string specified for links")
	}
	if strings.Count(v, ":") > 1 {
		return "", errors.New("bad format for links: " + v)
	}
	return v, nil
}

// parseAddr parses an optional address flag; docker's daemon words the
// error the same way for a bad --ip.
func parseAddr(kind, s string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("invalid %s address: %s", kind, s)
	}
	return a.Unmap(), nil
}

func runConnect(ctx context.Context, c *command.Cli, o connectOptions) error {
	driverOpts, err := convertDriverOpt(o.driverOpts)
	if err != nil {
		return err
	}
	ipam := &network.EndpointIPAMConfig{}
	if ipam.IPv4Address, err = parseAddr("IPv4", o.ip); err != nil {
		return err
	}
	if ipam.IPv6Address, err = parseAddr("IPv6", o.ip6); err != nil {
		return err
	}
	for _, s := range o.linkLocalIPs {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return fmt.Errorf("invalid link-local IP address: %s", s)
		}
		ipam.LinkLocalIPs = append(ipam.LinkLocalIPs, a.Unmap())
	}
	_, err = c.Client().NetworkConnect(ctx, o.network, client.NetworkConnectOptions{
		Container: o.container,
		EndpointConfig: &network.EndpointSettings{
			IPAMConfig: ipam,
			Links:      o.links.GetAll(),
			Aliases:    o.aliases,
			DriverOpts: driverOpts,
			GwPriority: o.gwPriority,
		},
	})
	return err
}

func convertDriverOpt(list []string) (map[string]string, error) {
	m := make(map[string]string)
	for _, opt := range list {
		k, v, ok := strings.Cut(opt, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, errors.New("invalid key/value pair format in driver options")
		}
		m[k] = strings.TrimSpace(v)
	}
	return m, nil
}
