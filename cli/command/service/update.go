package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// updateFlags are update's -add/-rm forms of create's list flags.
type updateFlags struct {
	image, args                               string
	force, rollback, detach, quiet            bool
	envAdd, envRm, labelAdd, labelRm          []string
	clabelAdd, clabelRm, pubAdd, pubRm        []string
	secretAdd, secretRm, configAdd, configRm  []string
	mountAdd, mountRm, consAdd, consRm        []string
	prefAdd, prefRm, netAdd, netRm, dnsAdd    []string
	dnsRm, groupAdd, groupRm, hostAdd, hostRm []string
}

func newUpdateCommand(c *command.Cli) *cobra.Command {
	var (
		o serviceOpts
		u updateFlags
	)
	cmd := &cobra.Command{
		Use:   "update [OPTIONS] SERVICE",
		Short: "Update a service",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			api := c.Client()
			cur, err := api.ServiceInspect(ctx, args[0], client.ServiceInspectOptions{})
			if err != nil {
				return err
			}
			spec := cur.Service.Spec
			opt := client.ServiceUpdateOptions{Version: cur.Service.Version, QueryRegistry: cmd.Flags().Changed("image") && !o.kernel.noResolveImage}
			if u.rollback {
				// docker asks the daemon for the previous spec rather than
				// sending it (the server keeps PreviousSpec).
				opt.Rollback = "previous"
			} else if err := applyUpdate(ctx, api, &spec, &o, &u, cmd.Flags()); err != nil {
				return err
			}
			opt.Spec = spec
			if o.kernel.withRegistryAuth && spec.TaskTemplate.ContainerSpec != nil {
				opt.EncodedRegistryAuth = c.RegistryAuthFor(spec.TaskTemplate.ContainerSpec.Image)
			}
			res, err := api.ServiceUpdate(ctx, cur.Service.ID, opt)
			if err != nil {
				return err
			}
			for _, w := range res.Warnings {
				fmt.Fprintln(c.Err(), w)
			}
			fmt.Fprintln(c.Out(), args[0])
			if u.detach {
				return nil
			}
			return waitConverged(ctx, c, cur.Service.ID, u.quiet)
		},
	}
	cmd.Flags().SetInterspersed(false)
	f := cmd.Flags()
	addCommonFlags(f, &o)
	addKernelUpdateFlags(f, &o.kernel)
	f.StringVar(&u.image, "image", "", "Service image tag")
	f.StringVar(&u.args, "args", "", "Service command args")
	f.BoolVar(&u.force, "force", false, "Force update even if no changes require it")
	f.BoolVar(&u.rollback, "rollback", false, "Rollback to previous specification")
	f.BoolVarP(&u.detach, "detach", "d", false, "Exit immediately instead of waiting for the service to converge")
	f.BoolVarP(&u.quiet, "quiet", "q", false, "Suppress progress output")
	for _, lf := range []struct {
		p    *[]string
		name string
		help string
	}{
		{&u.envAdd, "env-add", "Add or update an environment variable"},
		{&u.envRm, "env-rm", "Remove an environment variable"},
		{&u.labelAdd, "label-add", "Add or update a service label"},
		{&u.labelRm, "label-rm", "Remove a label by its key"},
		{&u.clabelAdd, "container-label-add", "Add or update a container label"},
		{&u.clabelRm, "container-label-rm", "Remove a container label by its key"},
		{&u.pubAdd, "publish-add", "Add or update a published port"},
		{&u.pubRm, "publish-rm", "Remove a published port by its target port"},
		{&u.secretAdd, "secret-add", "Add or update a secret on a service"},
		{&u.secretRm, "secret-rm", "Remove a secret"},
		{&u.configAdd, "config-add", "Add or update a config file on a service"},
		{&u.configRm, "config-rm", "Remove a configuration file"},
		{&u.mountAdd, "mount-add", "Add or update a mount on a service"},
		{&u.mountRm, "mount-rm", "Remove a mount by its target path"},
		{&u.consAdd, "constraint-add", "Add or update a placement constraint"},
		{&u.consRm, "constraint-rm", "Remove a constraint"},
		{&u.prefAdd, "placement-pref-add", "Add a placement preference"},
		{&u.prefRm, "placement-pref-rm", "Remove a placement preference"},
		{&u.netAdd, "network-add", "Add a network"},
		{&u.netRm, "network-rm", "Remove a network"},
		{&u.dnsAdd, "dns-add", "Add or update a custom DNS server"},
		{&u.dnsRm, "dns-rm", "Remove a custom DNS server"},
		{&u.groupAdd, "group-add", "Add an additional supplementary user group to the container"},
		{&u.groupRm, "group-rm", "Remove a previously added supplementary user group from the container"},
		{&u.hostAdd, "host-add", "Add a custom host-to-IP mapping (\"host:ip\")"},
		{&u.hostRm, "host-rm", "Remove a custom host-to-IP mapping (\"host:ip\")"},
	} {
		f.StringArrayVar(lf.p, lf.name, nil, lf.help)
	}
	return cmd
}

// applyUpdate changes spec by the flags the user set, as docker's
// `service update` does; anything not named stays as it was.
func applyUpdate(ctx context.Context, api *client.Client, spec *swarm.ServiceSpec, o *serviceOpts, u *updateFlags, f *pflag.FlagSet) error {
	t := &spec.TaskTemplate
	if t.ContainerSpec == nil {
		t.ContainerSpec = &swarm.ContainerSpec{}
	}
	cs := t.ContainerSpec
	str := func(name string, dst *string, v string) {
		if f.Changed(name) {
			*dst = v
		}
	}
	str("image", &cs.Image, u.image)
	str("workdir", &cs.Dir, o.workdir)
	str("user", &cs.User, o.user)
	str("hostname", &cs.Hostname, o.hostname)
	str("stop-signal", &cs.StopSignal, o.stopSignal)
	if f.Changed("args") {
		cs.Args = strings.Fields(u.args)
	}
	if f.Changed("entrypoint") {
		cs.Command = strings.Fields(o.entrypoint)
	}
	if f.Changed("tty") {
		cs.TTY = o.tty
	}
	if f.Changed("read-only") {
		cs.ReadOnly = o.readOnly
	}
	if f.Changed("init") {
		v := o.init
		cs.Init = &v
	}
	if f.Changed("stop-grace-period") {
		d := o.stopGrace
		cs.StopGracePeriod = &d
	}
	if err := o.kernel.applyUpdate(cs, f); err != nil {
		return err
	}
	// Environment: remove by name, then add or replace by name.
	cs.Env = slices.DeleteFunc(cs.Env, func(e string) bool {
		k, _, _ := strings.Cut(e, "=")
		return slices.Contains(u.envRm, k) || slices.ContainsFunc(u.envAdd, func(a string) bool { ak, _, _ := strings.Cut(a, "="); return ak == k })
	})
	cs.Env = append(cs.Env, u.envAdd...)
	spec.Labels = editMap(spec.Labels, u.labelAdd, u.labelRm)
	cs.Labels = editMap(cs.Labels, u.clabelAdd, u.clabelRm)
	cs.Groups = append(slices.DeleteFunc(cs.Groups, func(g string) bool { return slices.Contains(u.groupRm, g) }), u.groupAdd...)
	for _, h := range u.hostRm {
		want := hostsList([]string{h})[0]
		cs.Hosts = slices.DeleteFunc(cs.Hosts, func(x string) bool { return x == want })
	}
	cs.Hosts = append(cs.Hosts, hostsList(u.hostAdd)...)
	// Mounts: by target.
	cs.Mounts = slices.DeleteFunc(cs.Mounts, func(m mountT) bool { return slices.Contains(u.mountRm, m.Target) })
	add, err := parseMounts(u.mountAdd)
	if err != nil {
		return err
	}
	for _, m := range add {
		cs.Mounts = slices.DeleteFunc(cs.Mounts, func(x mountT) bool { return x.Target == m.Target })
		cs.Mounts = append(cs.Mounts, m)
	}
	// Secrets and configs: by name.
	cs.Secrets = slices.DeleteFunc(cs.Secrets, func(s *swarm.SecretReference) bool { return slices.Contains(u.secretRm, s.SecretName) })
	secs, err := resolveSecrets(ctx, api, u.secretAdd)
	if err != nil {
		return err
	}
	cs.Secrets = append(cs.Secrets, secs...)
	cs.Configs = slices.DeleteFunc(cs.Configs, func(s *swarm.ConfigReference) bool { return slices.Contains(u.configRm, s.ConfigName) })
	cfgs, err := resolveConfigs(ctx, api, u.configAdd)
	if err != nil {
		return err
	}
	cs.Configs = append(cs.Configs, cfgs...)
	// DNS.
	if len(u.dnsAdd)+len(u.dnsRm) > 0 {
		if cs.DNSConfig == nil {
			cs.DNSConfig = &swarm.DNSConfig{}
		}
		addrs, err := parseDNS(u.dnsAdd)
		if err != nil {
			return err
		}
		cs.DNSConfig.Nameservers = slices.DeleteFunc(cs.DNSConfig.Nameservers, func(a netipAddr) bool { return slices.Contains(u.dnsRm, a.String()) })
		cs.DNSConfig.Nameservers = append(cs.DNSConfig.Nameservers, addrs...)
	}
	if f.Changed("health-cmd") || f.Changed("health-interval") || f.Changed("health-timeout") || f.Changed("health-retries") || f.Changed("health-start-period") || f.Changed("no-healthcheck") {
		h, err := o.healthConfig(f)
		if err != nil {
			return err
		}
		cs.Healthcheck = h
	}
	// Placement.
	if t.Placement == nil {
		t.Placement = &swarm.Placement{}
	}
	t.Placement.Constraints = append(slices.DeleteFunc(t.Placement.Constraints, func(c string) bool { return slices.Contains(u.consRm, c) }), u.consAdd...)
	for _, p := range u.prefRm {
		pp, err := parsePlacementPref(p)
		if err != nil {
			return err
		}
		t.Placement.Preferences = slices.DeleteFunc(t.Placement.Preferences, func(x swarm.PlacementPreference) bool {
			return x.Spread != nil && x.Spread.SpreadDescriptor == pp.Spread.SpreadDescriptor
		})
	}
	for _, p := range u.prefAdd {
		pp, err := parsePlacementPref(p)
		if err != nil {
			return err
		}
		t.Placement.Preferences = append(t.Placement.Preferences, pp)
	}
	if f.Changed("replicas-max-per-node") {
		t.Placement.MaxReplicas = o.maxReplicas
	}
	// Networks: by target name or ID.
	t.Networks = slices.DeleteFunc(t.Networks, func(n swarm.NetworkAttachmentConfig) bool { return slices.Contains(u.netRm, n.Target) })
	for _, n := range u.netAdd {
		t.Networks = append(t.Networks, parseNetwork(n))
	}
	// Resources.
	if t.Resources == nil {
		t.Resources = &swarm.ResourceRequirements{}
	}
	if t.Resources.Limits == nil {
		t.Resources.Limits = &swarm.Limit{}
	}
	if t.Resources.Reservations == nil {
		t.Resources.Reservations = &swarm.Resources{}
	}
	if f.Changed("limit-cpu") {
		t.Resources.Limits.NanoCPUs = o.limitCPU.Value()
	}
	if f.Changed("limit-memory") {
		t.Resources.Limits.MemoryBytes = o.limitMemory.Value()
	}
	if f.Changed("limit-pids") {
		t.Resources.Limits.Pids = o.limitPids
	}
	if f.Changed("reserve-cpu") {
		t.Resources.Reservations.NanoCPUs = o.reserveCPU.Value()
	}
	if f.Changed("reserve-memory") {
		t.Resources.Reservations.MemoryBytes = o.reserveMemory.Value()
	}
	if t.RestartPolicy, err = o.restartPolicy(f, t.RestartPolicy); err != nil {
		return err
	}
	if spec.UpdateConfig, err = toUpdateConfig(o.update, f, "update", spec.UpdateConfig); err != nil {
		return err
	}
	if spec.RollbackConfig, err = toUpdateConfig(o.rollback, f, "rollback", spec.RollbackConfig); err != nil {
		return err
	}
	if f.Changed("replicas") {
		switch {
		case spec.Mode.Replicated != nil:
			n := o.replicas
			spec.Mode.Replicated.Replicas = &n
		case spec.Mode.ReplicatedJob != nil:
			n := o.replicas
			spec.Mode.ReplicatedJob.TotalCompletions = &n
		default:
			return errors.New("replicas can only be used with replicated or replicated-job mode")
		}
	}
	// Ports: remove by target[/proto], then add replacing the same published port.
	if spec.EndpointSpec == nil {
		spec.EndpointSpec = &swarm.EndpointSpec{}
	}
	if f.Changed("endpoint-mode") {
		spec.EndpointSpec.Mode = swarm.ResolutionMode(o.endpointMode)
	}
	for _, r := range u.pubRm {
		port, proto, _ := strings.Cut(r, "/")
		if proto == "" {
			proto = "tcp"
		}
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			return fmt.Errorf("invalid argument %q for \"--publish-rm\" flag: invalid port %s", r, port)
		}
		spec.EndpointSpec.Ports = slices.DeleteFunc(spec.EndpointSpec.Ports, func(p swarm.PortConfig) bool {
			return p.TargetPort == uint32(n) && string(p.Protocol) == proto
		})
	}
	for _, a := range u.pubAdd {
		pcs, err := parsePublish(a)
		if err != nil {
			return fmt.Errorf("invalid argument %q for \"--publish-add\" flag: %w", a, err)
		}
		for _, pc := range pcs {
			spec.EndpointSpec.Ports = slices.DeleteFunc(spec.EndpointSpec.Ports, func(p swarm.PortConfig) bool {
				return p.PublishedPort == pc.PublishedPort && pc.PublishedPort != 0 && p.Protocol == pc.Protocol
			})
			spec.EndpointSpec.Ports = append(spec.EndpointSpec.Ports, pc)
		}
	}
	if f.Changed("log-driver") {
		t.LogDriver = &swarm.Driver{Name: o.logDriver, Options: swarmLabels(o.logOpts)}
	}
	if u.force {
		t.ForceUpdate++
	}
	return nil
}

// editMap removes then adds key=value labels.
func editMap(m map[string]string, add, rm []string) map[string]string {
	if len(add)+len(rm) == 0 {
		return m
	}
	if m == nil {
		m = map[string]string{}
	}
	for _, k := range rm {
		delete(m, k)
	}
	for k, v := range swarmLabels(add) {
		m[k] = v
	}
	return m
}
