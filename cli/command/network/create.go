package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/opts"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type createOptions struct {
	name       string
	scope      string
	driver     string
	driverOpts mapOpts
	labels     *opts.ListOpts
	internal   bool
	ipv4       *bool
	ipv6       *bool
	attachable bool
	ingress    bool
	configOnly bool
	configFrom string
	ipam       ipamOptions
}

type ipamOptions struct {
	driver       string
	subnets      []string
	ipRanges     []string
	gateways     []string
	auxAddresses mapOpts
	driverOpts   mapOpts
}

// mapOpts shows its empty default as "map[]" in help, as docker's does.
type mapOpts struct{ *opts.MapOpts }

func newMapOpts() mapOpts { return mapOpts{opts.NewMapOpts(nil)} }

func (m mapOpts) String() string { return fmt.Sprintf("%v", m.GetAll()) }

func newCreateCommand(c *command.Cli) *cobra.Command {
	var ipv4, ipv6 bool
	o := createOptions{
		driverOpts: newMapOpts(),
		labels:     opts.NewListOpts(validateLabel),
		ipam:       ipamOptions{auxAddresses: newMapOpts(), driverOpts: newMapOpts()},
	}
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] NETWORK",
		Short: "Create a network",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.name = args[0]
			if cmd.Flag("ipv4").Changed {
				o.ipv4 = &ipv4
			}
			if cmd.Flag("ipv6").Changed {
				o.ipv6 = &ipv6
			}
			return runCreate(cmd.Context(), c, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.driver, "driver", "d", "bridge", "Driver to manage the Network")
	f.VarP(o.driverOpts, "opt", "o", "Set driver specific options")
	f.Var(o.labels, "label", "Set metadata on a network")
	f.BoolVar(&o.internal, "internal", false, "Restrict external access to the network")
	f.BoolVar(&ipv4, "ipv4", true, "Enable or disable IPv4 address assignment")
	f.BoolVar(&ipv6, "ipv6", false, "Enable or disable IPv6 address assignment")
	f.BoolVar(&o.attachable, "attachable", false, "Enable manual container attachment")
	f.BoolVar(&o.ingress, "ingress", false, "Create swarm routing-mesh network")
	f.StringVar(&o.scope, "scope", "", "Control the network's scope")
	f.BoolVar(&o.configOnly, "config-only", false, "Create a configuration only network")
	f.StringVar(&o.configFrom, "config-from", "", "The network from which to copy the configuration")
	f.StringVar(&o.ipam.driver, "ipam-driver", "default", "IP Address Management Driver")
	f.StringSliceVar(&o.ipam.subnets, "subnet", []string{}, "Subnet in CIDR format that represents a network segment")
	f.StringSliceVar(&o.ipam.ipRanges, "ip-range", []string{}, "Allocate container ip from a sub-range")
	f.StringSliceVar(&o.ipam.gateways, "gateway", []string{}, "IPv4 or IPv6 Gateway for the master subnet")
	f.Var(o.ipam.auxAddresses, "aux-address", "Auxiliary IPv4 or IPv6 addresses used by Network driver")
	f.Var(o.ipam.driverOpts, "ipam-opt", "Set IPAM driver specific options")
	return cmd
}

// validateLabel is docker's label check: a key, without whitespace.
func validateLabel(v string) (string, error) {
	key, _, _ := strings.Cut(v, "=")
	key = strings.TrimLeft(key, " \t")
	if key == "" {
		return "", fmt.Errorf("invalid label '%s': empty name", v)
	}
	if strings.ContainsAny(key, " \t") {
		return "", fmt.Errorf("label '%s' contains whitespaces", key)
	}
	return v, nil
}

func runCreate(ctx context.Context, c *command.Cli, o createOptions) error {
	ipam, err := createIPAMConfig(o.ipam)
	if err != nil {
		return err
	}
	res, err := c.Client().NetworkCreate(ctx, o.name, client.NetworkCreateOptions{
		Driver:     o.driver,
		Options:    o.driverOpts.GetAll(),
		IPAM:       ipam,
		Internal:   o.internal,
		EnableIPv4: o.ipv4,
		EnableIPv6: o.ipv6,
		Attachable: o.attachable,
		Ingress:    o.ingress,
		Scope:      o.scope,
		ConfigOnly: o.configOnly,
		ConfigFrom: o.configFrom,
		Labels:     opts.ConvertKVStringsToMap(o.labels.GetAll()),
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(c.Out(), res.ID)
	return nil
}

// createIPAMConfig groups --subnet, --ip-range, --gateway and --aux-address
// per subnet with the docker CLI's checks and messages. Unlike docker the
// subnets keep their command-line order.
func createIPAMConfig(o ipamOptions) (*network.IPAM, error) {
	if len(o.subnets) < len(o.ipRanges) || len(o.subnets) < len(o.gateways) {
		return nil, errors.New("every ip-range or gateway must have a corresponding subnet")
	}
	byNet := map[string]*network.IPAMConfig{}
	for _, s := range o.subnets {
		for k := range byNet {
			ok1, err := subnetMatches(s, k)
			if err != nil {
				return nil, err
			}
			ok2, err := subnetMatches(k, s)
			if err != nil {
				return nil, err
			}
			if ok1 || ok2 {
				return nil, errors.New("multiple overlapping subnet configuration is not supported")
			}
		}
		if _, err := subnetMatches(s, s); err != nil {
			return nil, err
		}
		sn, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("invalid subnet: %w", err)
		}
		byNet[s] = &network.IPAMConfig{Subnet: sn, AuxAddress: map[string]netip.Addr{}}
	}
	for _, r := range o.ipRanges {
		rng, err := netip.ParsePrefix(r)
		if err != nil {
			return nil, fmt.Errorf("invalid CIDR address: %s", r)
		}
		match := false
		for _, s := range o.subnets {
			if ok, err := subnetMatches(s, r); err != nil {
				return nil, err
			} else if !ok {
				continue
			}
			if d := byNet[s]; d.IPRange.IsValid() {
				return nil, fmt.Errorf("cannot configure multiple ranges (%s, %s) on the same subnet (%s)", r, d.IPRange, s)
			}
			byNet[s].IPRange = rng
			match = true
		}
		if !match {
			return nil, fmt.Errorf("no matching subnet for range %s", r)
		}
	}
	for _, g := range o.gateways {
		match := false
		for _, s := range o.subnets {
			if ok, err := subnetMatches(s, g); err != nil {
				return nil, err
			} else if !ok {
				continue
			}
			if d := byNet[s]; d.Gateway.IsValid() {
				return nil, fmt.Errorf("cannot configure multiple gateways (%s, %s) for the same subnet (%s)", g, d.Gateway, s)
			}
			gw, err := netip.ParseAddr(g)
			if err != nil {
				return nil, err
			}
			byNet[s].Gateway = gw.Unmap()
			match = true
		}
		if !match {
			return nil, fmt.Errorf("no matching subnet for gateway %s", g)
		}
	}
	for name, aa := range o.auxAddresses.GetAll() {
		match := false
		for _, s := range o.subnets {
			if ok, err := subnetMatches(s, aa); err != nil {
				return nil, err
			} else if !ok {
				continue
			}
			addr, err := netip.ParseAddr(aa)
			if err != nil {
				return nil, err
			}
			byNet[s].AuxAddress[name] = addr.Unmap()
			match = true
		}
		if !match {
			return nil, fmt.Errorf("no matching subnet for aux-address %s", aa)
		}
	}
	cfgs := make([]network.IPAMConfig, 0, len(o.subnets))
	for _, s := range o.subnets {
		cfgs = append(cfgs, *byNet[s])
	}
	return &network.IPAM{Driver: o.driver, Config: cfgs, Options: o.driverOpts.GetAll()}, nil
}

// subnetMatches reports whether data (an address or CIDR) lies in subnet;
// it keeps net.ParseCIDR for docker's exact error texts.
func subnetMatches(subnet, data string) (bool, error) {
	_, s, err := net.ParseCIDR(subnet)
	if err != nil {
		return false, fmt.Errorf("invalid subnet: %w", err)
	}
	var ip net.IP
	if strings.Contains(data, "/") {
		if ip, _, err = net.ParseCIDR(data); err != nil {
			return false, err
		}
	} else {
		ip = net.ParseIP(data)
	}
	return s.Contains(ip), nil
}
