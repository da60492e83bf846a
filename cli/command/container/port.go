package container

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newPortCommand(c *command.Cli) *cobra.Command {
	return &cobra.Command{
		Use:   "port CONTAINER [PRIVATE_PORT[/PROTO]]",
		Short: "List port mappings or a specific mapping for the container",
		Args:  command.RequiresRangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := c.Client().ContainerInspect(cmd.Context(), args[0], client.ContainerInspectOptions{})
			if err != nil {
				return err
			}
			var ports network.PortMap
			if r.Container.NetworkSettings != nil {
				ports = r.Container.NetworkSettings.Ports
			}
			if len(args) == 2 {
				port, proto, _ := strings.Cut(args[1], "/")
				if proto == "" {
					proto = "tcp"
				}
				n, err := strconv.ParseUint(port, 10, 16)
				if err != nil {
					return fmt.Errorf("invalid port (%s): %w", args[1], err)
				}
				p, ok := network.PortFrom(uint16(n), network.IPProtocol(proto))
				if !ok {
					return fmt.Errorf("invalid port (%s)", args[1])
				}
				bs, found := ports[p]
				if !found || len(bs) == 0 {
					return fmt.Errorf("Error: No public port '%s' published for %s", p.String(), args[0])
				}
				for _, b := range bs {
					fmt.Fprintln(c.Out(), hostPortString(b))
				}
				return nil
			}
			var lines []string
			for p, bs := range ports {
				for _, b := range bs {
					lines = append(lines, p.String()+" -> "+hostPortString(b))
				}
			}
			sort.Strings(lines)
			for _, l := range lines {
				fmt.Fprintln(c.Out(), l)
			}
			return nil
		},
	}
}

func hostPortString(b network.PortBinding) string {
	ip := "0.0.0.0"
	if b.HostIP.IsValid() {
		ip = b.HostIP.String()
	}
	return net.JoinHostPort(ip, b.HostPort)
}
