package stack

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"os"
	"slices"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

func stackFilter(stack string) client.Filters {
	return make(client.Filters).Add("label", LabelNamespace+"="+stack)
}

func stackServices(ctx context.Context, api *client.Client, stack string) ([]swarm.Service, error) {
	res, err := api.ServiceList(ctx, client.ServiceListOptions{Filters: stackFilter(stack)})
	if err != nil {
		return nil, err
	}
	return res.Items, nil
}

// convertNetworks returns the create options of the stack's own networks
// that some service uses (by their final names) and the names of the
// external ones to look up.
func convertNetworks(ns namespace, p *types.Project) (map[string]client.NetworkCreateOptions, []string) {
	used := map[string]bool{}
	for _, s := range p.Services {
		if len(s.Networks) == 0 {
			used[defaultNetwork] = true
		}
		for n := range s.Networks {
			used[n] = true
		}
	}
	out := map[string]client.NetworkCreateOptions{}
	var external []string
	for internal := range used {
		n := p.Networks[internal]
		name := n.Name
		if name == "" {
			name = ns.scope(internal)
		}
		if bool(n.External) {
			external = append(external, name)
			continue
		}
		opts := client.NetworkCreateOptions{
			Labels:     addStackLabel(ns, n.Labels),
			Driver:     n.Driver,
			Options:    n.DriverOpts,
			Internal:   n.Internal,
			Attachable: n.Attachable,
		}
		if len(opts.Options) == 0 {
			opts.Options = nil
		}
		if n.Ipam.Driver != "" || len(n.Ipam.Config) > 0 {
			opts.IPAM = &network.IPAM{Driver: n.Ipam.Driver}
			for _, c := range n.Ipam.Config {
				sn, _ := netip.ParsePrefix(c.Subnet)
				opts.IPAM.Config = append(opts.IPAM.Config, network.IPAMConfig{Subnet: sn})
			}
		}
		out[name] = opts
	}
	slices.Sort(external)
	return out, external
}

func objectName(ns namespace, key, name string) string {
	// compose-go names a top-level object "<project>_<key>" unless the
	// file gives a name; with the stack as project that is docker's name.
	if name != "" {
		return name
	}
	return ns.scope(key)
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func convertSecrets(ns namespace, secrets types.Secrets) ([]swarm.SecretSpec, error) {
	var out []swarm.SecretSpec
	for _, key := range sortedKeys(secrets) {
		s := types.FileObjectConfig(secrets[key])
		if bool(s.External) {
			continue
		}
		spec := swarm.SecretSpec{Annotations: swarm.Annotations{Name: objectName(ns, key, s.Name), Labels: addStackLabel(ns, s.Labels)}}
		if s.Driver != "" {
			spec.Data = []byte{}
			spec.Driver = &swarm.Driver{Name: s.Driver, Options: s.DriverOpts}
		} else {
			data, err := fileObjectData(s)
			if err != nil {
				return nil, err
			}
			spec.Data = data
		}
		if s.TemplateDriver != "" {
			spec.Templating = &swarm.Driver{Name: s.TemplateDriver}
		}
		out = append(out, spec)
	}
	return out, nil
}

func convertConfigs(ns namespace, configs types.Configs) ([]swarm.ConfigSpec, error) {
	var out []swarm.ConfigSpec
	for _, key := range sortedKeys(configs) {
		c := types.FileObjectConfig(configs[key])
		if bool(c.External) {
			continue
		}
		data, err := fileObjectData(c)
		if err != nil {
			return nil, err
		}
		spec := swarm.ConfigSpec{Annotations: swarm.Annotations{Name: objectName(ns, key, c.Name), Labels: addStackLabel(ns, c.Labels)}, Data: data}
		if c.TemplateDriver != "" {
			spec.Templating = &swarm.Driver{Name: c.TemplateDriver}
		}
		out = append(out, spec)
	}
	return out, nil
}

type fileRef struct {
	name string
	file swarm.SecretReferenceFileTarget
}

func fileReference(ns namespace, ref types.FileReferenceConfig, name string) fileRef {
	target := ref.Target
	// compose-go defaults a secret's target to /run/secrets/<source>;
	// docker's loader leaves it empty, meaning <source> (same file in the
	// task), and the spec must match what docker sends.
	if target == "" || target == "/run/secrets/"+ref.Source {
		target = ref.Source
	}
	uid, gid := ref.UID, ref.GID
	if uid == "" {
		uid = "0"
	}
	if gid == "" {
		gid = "0"
	}
	mode := os.FileMode(0o444)
	if ref.Mode != nil {
		mode = os.FileMode(*ref.Mode)
	}
	return fileRef{name: objectName(ns, ref.Source, name), file: swarm.SecretReferenceFileTarget{Name: target, UID: uid, GID: gid, Mode: mode}}
}

// serviceSecrets resolves a service's secret references to the IDs of the
// cluster's secrets (docker's service.ParseSecrets).
func serviceSecrets(ctx context.Context, api *client.Client, ns namespace, refs []types.ServiceSecretConfig, defs types.Secrets) ([]*swarm.SecretReference, error) {
	out := []*swarm.SecretReference{}
	if len(refs) == 0 {
		return nil, nil
	}
	args := make(client.Filters)
	var want []fileRef
	for _, r := range refs {
		def, ok := defs[r.Source]
		if !ok {
			return nil, fmt.Errorf("undefined secret %q", r.Source)
		}
		fr := fileReference(ns, types.FileReferenceConfig(r), def.Name)
		want = append(want, fr)
		args.Add("name", fr.name)
	}
	res, err := api.SecretList(ctx, client.SecretListOptions{Filters: args})
	if err != nil {
		return nil, err
	}
	ids := map[string]string{}
	for _, s := range res.Items {
		ids[s.Spec.Name] = s.ID
	}
	seen := map[string]bool{}
	for _, w := range want {
		if seen[w.file.Name] {
			return nil, fmt.Errorf("duplicate secret target for %s not allowed", w.name)
		}
		seen[w.file.Name] = true
		id, ok := ids[w.name]
		if !ok {
			return nil, fmt.Errorf("secret not found: %s", w.name)
		}
		f := w.file
		out = append(out, &swarm.SecretReference{File: &f, SecretName: w.name, SecretID: id})
	}
	slices.SortStableFunc(out, func(a, b *swarm.SecretReference) int { return cmp.Compare(a.SecretName, b.SecretName) })
	return out, nil
}

// serviceConfigs is serviceSecrets for configs.
func serviceConfigs(ctx context.Context, api *client.Client, ns namespace, refs []types.ServiceConfigObjConfig, defs types.Configs) ([]*swarm.ConfigReference, error) {
	out := []*swarm.ConfigReference{}
	if len(refs) == 0 {
		return out, nil
	}
	args := make(client.Filters)
	var want []fileRef
	for _, r := range refs {
		def, ok := defs[r.Source]
		if !ok {
			return nil, fmt.Errorf("undefined config %q", r.Source)
		}
		fr := fileReference(ns, types.FileReferenceConfig(r), def.Name)
		want = append(want, fr)
		args.Add("name", fr.name)
	}
	res, err := api.ConfigList(ctx, client.ConfigListOptions{Filters: args})
	if err != nil {
		return nil, err
	}
	ids := map[string]string{}
	for _, c := range res.Items {
		ids[c.Spec.Name] = c.ID
	}
	seen := map[string]bool{}
	for _, w := range want {
		if seen[w.file.Name] {
			return nil, fmt.Errorf("duplicate config target for %s not allowed", w.name)
		}
		seen[w.file.Name] = true
		id, ok := ids[w.name]
		if !ok {
			return nil, fmt.Errorf("config not found: %s", w.name)
		}
		f := swarm.ConfigReferenceFileTarget(w.file)
		out = append(out, &swarm.ConfigReference{File: &f, ConfigName: w.name, ConfigID: id})
	}
	slices.SortStableFunc(out, func(a, b *swarm.ConfigReference) int { return cmp.Compare(a.ConfigName, b.ConfigName) })
	return out, nil
}
