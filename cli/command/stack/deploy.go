package stack

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/berth-project/berth/cli/command"
	"github.com/compose-spec/compose-go/v2/types"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

const (
	resolveImageAlways  = "always"
	resolveImageChanged = "changed"
	resolveImageNever   = "never"
)

type deployOptions struct {
	files        []string
	stack        string
	resolveImage string
	registryAuth bool
	prune        bool
	detach       bool
	quiet        bool
}

func newDeployCommand(c *command.Cli) *cobra.Command {
	var o deployOptions
	cmd := &cobra.Command{
		Use:     "deploy [OPTIONS] STACK",
		Aliases: []string{"up"},
		Short:   "Deploy a new stack or update an existing stack",
		Args:    command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.stack = args[0]
			if err := validateStackName(o.stack); err != nil {
				return err
			}
			p, err := loadProject(cmd.Context(), o.files, o.stack, c.In(), c.Err())
			if err != nil {
				return err
			}
			switch o.resolveImage {
			case resolveImageAlways, resolveImageChanged, resolveImageNever:
			default:
				return fmt.Errorf("invalid option %s for flag --resolve-image", o.resolveImage)
			}
			if o.detach && !cmd.Flags().Changed("detach") {
				fmt.Fprintln(c.Err(), "Since --detach=false was not specified, tasks will be created in the background.\n"+
					"In a future release, --detach=false will become the default.")
			}
			return deploy(cmd.Context(), c, o, p)
		},
	}
	f := cmd.Flags()
	f.StringSliceVarP(&o.files, "compose-file", "c", nil, `Path to a Compose file, or "-" to read from stdin`)
	f.BoolVar(&o.registryAuth, "with-registry-auth", false, "Send registry authentication details to Swarm agents")
	f.BoolVar(&o.prune, "prune", false, "Prune services that are no longer referenced")
	f.StringVar(&o.resolveImage, "resolve-image", resolveImageAlways,
		`Query the registry to resolve image digest and supported platforms ("always", "changed", "never")`)
	f.BoolVarP(&o.detach, "detach", "d", true, "Exit immediately instead of waiting for the stack services to converge")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "Suppress progress output")
	return cmd
}

func checkSwarmManager(ctx context.Context, api *client.Client) error {
	res, err := api.Info(ctx, client.InfoOptions{})
	if err != nil {
		return err
	}
	if !res.Info.Swarm.ControlAvailable {
		return errors.New(`this node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again`)
	}
	return nil
}

func deploy(ctx context.Context, c *command.Cli, o deployOptions, p *types.Project) error {
	api := c.Client()
	if err := checkSwarmManager(ctx, api); err != nil {
		return err
	}
	ns := namespace(o.stack)
	if o.prune {
		keep := map[string]bool{}
		for name := range p.Services {
			keep[name] = true
		}
		old, err := stackServices(ctx, api, o.stack)
		if err != nil {
			fmt.Fprintln(c.Err(), "Failed to list services:", err)
		}
		var drop []swarm.Service
		for _, s := range old {
			if !keep[ns.descope(s.Spec.Name)] {
				drop = append(drop, s)
			}
		}
		removeServices(ctx, c, drop)
	}
	// Convert everything once before creating anything, so a bad file
	// leaves no network or secret behind (docker's CLI creates the
	// networks first and then fails).
	if err := precheck(ctx, api, ns, p); err != nil {
		return err
	}
	nets, external := convertNetworks(ns, p)
	if err := validateExternalNetworks(ctx, api, external); err != nil {
		return err
	}
	if err := createNetworks(ctx, c, o.stack, nets); err != nil {
		return err
	}
	secrets, err := convertSecrets(ns, p.Secrets)
	if err != nil {
		return err
	}
	if err := createSecrets(ctx, c, secrets); err != nil {
		return err
	}
	configs, err := convertConfigs(ns, p.Configs)
	if err != nil {
		return err
	}
	if err := createConfigs(ctx, c, configs); err != nil {
		return err
	}
	specs := map[string]swarm.ServiceSpec{}
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		srefs, err := serviceSecrets(ctx, api, ns, s.Secrets, p.Secrets)
		if err != nil {
			return fmt.Errorf("service %s: %w", name, err)
		}
		crefs, err := serviceConfigs(ctx, api, ns, s.Configs, p.Configs)
		if err != nil {
			return fmt.Errorf("service %s: %w", name, err)
		}
		spec, err := convertService(ns, p, s, srefs, crefs)
		if err != nil {
			return fmt.Errorf("service %s: %w", name, err)
		}
		specs[name] = spec
	}
	ids, err := deployServices(ctx, c, specs, ns, o)
	if err != nil {
		return err
	}
	if o.detach {
		return nil
	}
	return waitOnServices(ctx, c, ids, o.quiet)
}

func validateExternalNetworks(ctx context.Context, api *client.Client, names []string) error {
	for _, name := range names {
		if !container.NetworkMode(name).IsUserDefined() {
			continue
		}
		res, err := api.NetworkInspect(ctx, name, client.NetworkInspectOptions{})
		switch {
		case cerrdefs.IsNotFound(err):
			return fmt.Errorf("network %q is declared as external, but could not be found. You need to create a swarm-scoped network before the stack is deployed", name)
		case err != nil:
			return err
		case res.Network.Scope != "swarm":
			return fmt.Errorf("network %q is declared as external, but it is not in the right scope: %q instead of \"swarm\"", name, res.Network.Scope)
		}
	}
	return nil
}

func createNetworks(ctx context.Context, c *command.Cli, stack string, nets map[string]client.NetworkCreateOptions) error {
	api := c.Client()
	res, err := api.NetworkList(ctx, client.NetworkListOptions{Filters: stackFilter(stack)})
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, n := range res.Items {
		have[n.Name] = true
	}
	names := make([]string, 0, len(nets))
	for n := range nets {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		if have[name] {
			continue
		}
		opts := nets[name]
		if opts.Driver == "" {
			opts.Driver = "overlay"
		}
		fmt.Fprintln(c.Out(), "Creating network", name)
		if _, err := api.NetworkCreate(ctx, name, opts); err != nil {
			return fmt.Errorf("failed to create network %s: %w", name, err)
		}
	}
	return nil
}

func createSecrets(ctx context.Context, c *command.Cli, specs []swarm.SecretSpec) error {
	api := c.Client()
	for _, spec := range specs {
		res, err := api.SecretInspect(ctx, spec.Name, client.SecretInspectOptions{})
		switch {
		case err == nil:
			if _, err := api.SecretUpdate(ctx, res.Secret.ID, client.SecretUpdateOptions{Version: res.Secret.Meta.Version, Spec: spec}); err != nil {
				return fmt.Errorf("failed to update secret %s: %w", spec.Name, err)
			}
		case cerrdefs.IsNotFound(err):
			fmt.Fprintln(c.Out(), "Creating secret", spec.Name)
			if _, err := api.SecretCreate(ctx, client.SecretCreateOptions{Spec: spec}); err != nil {
				return fmt.Errorf("failed to create secret %s: %w", spec.Name, err)
			}
		default:
			return err
		}
	}
	return nil
}

func createConfigs(ctx context.Context, c *command.Cli, specs []swarm.ConfigSpec) error {
	api := c.Client()
	for _, spec := range specs {
		res, err := api.ConfigInspect(ctx, spec.Name, client.ConfigInspectOptions{})
		switch {
		case err == nil:
			if _, err := api.ConfigUpdate(ctx, res.Config.ID, client.ConfigUpdateOptions{Version: res.Config.Meta.Version, Spec: spec}); err != nil {
				return fmt.Errorf("failed to update config %s: %w", spec.Name, err)
			}
		case cerrdefs.IsNotFound(err):
			fmt.Fprintln(c.Out(), "Creating config", spec.Name)
			if _, err := api.ConfigCreate(ctx, client.ConfigCreateOptions{Spec: spec}); err != nil {
				return fmt.Errorf("failed to create config %s: %w", spec.Name, err)
			}
		default:
			return err
		}
	}
	return nil
}

func deployServices(ctx context.Context, c *command.Cli, specs map[string]swarm.ServiceSpec, ns namespace, o deployOptions) ([]string, error) {
	api := c.Client()
	existing, err := stackServices(ctx, api, string(ns))
	if err != nil {
		return nil, err
	}
	byName := map[string]swarm.Service{}
	for _, s := range existing {
		byName[s.Spec.Name] = s
	}
	names := make([]string, 0, len(specs))
	for n := range specs {
		names = append(names, n)
	}
	slices.Sort(names)
	var ids []string
	for _, internal := range names {
		spec := specs[internal]
		name := ns.scope(internal)
		image := spec.TaskTemplate.ContainerSpec.Image
		var auth string
		if o.registryAuth {
			auth = c.RegistryAuthFor(image)
		}
		if svc, ok := byName[name]; ok {
			fmt.Fprintf(c.Out(), "Updating service %s (id: %s)\n", name, svc.ID)
			uo := client.ServiceUpdateOptions{Version: svc.Version, EncodedRegistryAuth: auth}
			switch o.resolveImage {
			case resolveImageAlways:
				uo.QueryRegistry = true
			case resolveImageChanged:
				if image != svc.Spec.Labels[LabelImage] {
					uo.QueryRegistry = true
				} else {
					spec.TaskTemplate.ContainerSpec.Image = svc.Spec.TaskTemplate.ContainerSpec.Image
				}
			default:
				// Keep the digest the cluster pinned when the file's image is unchanged.
				if image == svc.Spec.Labels[LabelImage] {
					spec.TaskTemplate.ContainerSpec.Image = svc.Spec.TaskTemplate.ContainerSpec.Image
				}
			}
			// stack deploy has no --force: keep ForceUpdate so tasks are not redeployed.
			spec.TaskTemplate.ForceUpdate = svc.Spec.TaskTemplate.ForceUpdate
			uo.Spec = spec
			res, err := api.ServiceUpdate(ctx, svc.ID, uo)
			if err != nil {
				return nil, fmt.Errorf("failed to update service %s: %w", name, err)
			}
			for _, w := range res.Warnings {
				fmt.Fprintln(c.Err(), w)
			}
			ids = append(ids, svc.ID)
			continue
		}
		fmt.Fprintln(c.Out(), "Creating service", name)
		res, err := api.ServiceCreate(ctx, client.ServiceCreateOptions{
			Spec:                spec,
			EncodedRegistryAuth: auth,
			QueryRegistry:       o.resolveImage != resolveImageNever,
		})
		if err != nil {
			return nil, fmt.Errorf("failed to create service %s: %w", name, err)
		}
		for _, w := range res.Warnings {
			fmt.Fprintln(c.Err(), w)
		}
		ids = append(ids, res.ID)
	}
	return ids, nil
}

// waitOnServices polls until every service has as many running tasks as
// it wants (docker draws progress bars here; berth prints one line per
// converged service).
func waitOnServices(ctx context.Context, c *command.Cli, ids []string, quiet bool) error {
	api := c.Client()
	for _, id := range ids {
		for {
			res, err := api.ServiceList(ctx, client.ServiceListOptions{Filters: make(client.Filters).Add("id", id), Status: true})
			if err != nil {
				return fmt.Errorf("%s: %w", id, err)
			}
			if len(res.Items) == 1 && res.Items[0].ServiceStatus != nil &&
				res.Items[0].ServiceStatus.RunningTasks >= res.Items[0].ServiceStatus.DesiredTasks {
				if !quiet {
					fmt.Fprintf(c.Out(), "%s: Service %s converged\n", id, res.Items[0].Spec.Name)
				}
				break
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
	return nil
}

// precheck runs the service conversion with placeholder secret and config
// references, and looks up the external secrets and configs services use.
func precheck(ctx context.Context, api *client.Client, ns namespace, p *types.Project) error {
	if _, err := convertSecrets(ns, p.Secrets); err != nil {
		return err
	}
	if _, err := convertConfigs(ns, p.Configs); err != nil {
		return err
	}
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		for _, r := range s.Secrets {
			def, ok := p.Secrets[r.Source]
			if !ok {
				return fmt.Errorf("service %s: undefined secret %q", name, r.Source)
			}
			if bool(def.External) {
				n := objectName(ns, r.Source, def.Name)
				res, err := api.SecretList(ctx, client.SecretListOptions{Filters: make(client.Filters).Add("name", n)})
				if err != nil {
					return err
				}
				if !slices.ContainsFunc(res.Items, func(x swarm.Secret) bool { return x.Spec.Name == n }) {
					return fmt.Errorf("service %s: secret not found: %s", name, n)
				}
			}
		}
		for _, r := range s.Configs {
			def, ok := p.Configs[r.Source]
			if !ok {
				return fmt.Errorf("service %s: undefined config %q", name, r.Source)
			}
			if bool(def.External) {
				n := objectName(ns, r.Source, def.Name)
				res, err := api.ConfigList(ctx, client.ConfigListOptions{Filters: make(client.Filters).Add("name", n)})
				if err != nil {
					return err
				}
				if !slices.ContainsFunc(res.Items, func(x swarm.Config) bool { return x.Spec.Name == n }) {
					return fmt.Errorf("service %s: config not found: %s", name, n)
				}
			}
		}
		if _, err := convertService(ns, p, s, nil, nil); err != nil {
			return fmt.Errorf("service %s: %w", name, err)
		}
	}
	return nil
}
