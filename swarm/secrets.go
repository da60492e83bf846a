package swarm

import (
	"context"

	"github.com/berth-project/berth/internal/filters"
	"github.com/berth-project/berth/swarm/convert"
	types "github.com/moby/moby/api/types/swarm"
	"github.com/moby/swarmkit/v2/api"
)

func (c *Cluster) getSecret(ctx context.Context, cc api.ControlClient, ref string) (*api.Secret, error) {
	return lookup(ctx, "secret", ref,
		func(id string) (*api.Secret, error) {
			r, err := cc.GetSecret(ctx, &api.GetSecretRequest{SecretID: id})
			if err != nil {
				return nil, err
			}
			return r.Secret, nil
		},
		func(names, prefixes []string) ([]*api.Secret, error) {
			r, err := cc.ListSecrets(ctx, &api.ListSecretsRequest{Filters: &api.ListSecretsRequest_Filters{Names: names, IDPrefixes: prefixes}})
			if err != nil {
				return nil, grpcErr(err)
			}
			return r.Secrets, nil
		},
		func(s *api.Secret) string { return s.ID })
}

// GetSecrets is GET /secrets.
func (c *Cluster) GetSecrets(ctx context.Context, f filters.Args) ([]types.Secret, error) {
	cc, err := c.manager()
	if err != nil {
		return nil, err
	}
	gf, err := convert.SecretFilters(f)
	if err != nil {
		return nil, err
	}
	r, err := cc.ListSecrets(ctx, &api.ListSecretsRequest{Filters: gf})
	if err != nil {
		return nil, grpcErr(err)
	}
	out := []types.Secret{}
	for _, s := range r.Secrets {
		out = append(out, convert.SecretFromGRPC(s))
	}
	return out, nil
}

// GetSecret is GET /secrets/{id}.
func (c *Cluster) GetSecret(ctx context.Context, ref string) (types.Secret, error) {
	cc, err := c.manager()
	if err != nil {
		return types.Secret{}, err
	}
	s, err := c.getSecret(ctx, cc, ref)
	if err != nil {
		return types.Secret{}, err
	}
	return convert.SecretFromGRPC(s), nil
}

// CreateSecret is POST /secrets/create.
func (c *Cluster) CreateSecret(ctx context.Context, spec types.SecretSpec) (string, error) {
	cc, err := c.manager()
	if err != nil {
		return "", err
	}
	gs := convert.SecretSpecToGRPC(spec)
	r, err := cc.CreateSecret(ctx, &api.CreateSecretRequest{Spec: &gs})
	if err != nil {
		return "", grpcErr(err)
	}
	return r.Secret.ID, nil
}

// UpdateSecret is POST /secrets/{id}/update (labels only, as swarmkit allows).
func (c *Cluster) UpdateSecret(ctx context.Context, ref string, version uint64, spec types.SecretSpec) error {
	cc, err := c.manager()
	if err != nil {
		return err
	}
	s, err := c.getSecret(ctx, cc, ref)
	if err != nil {
		return err
	}
	gs := convert.SecretSpecToGRPC(spec)
	_, err = cc.UpdateSecret(ctx, &api.UpdateSecretRequest{SecretID: s.ID, SecretVersion: &api.Version{Index: version}, Spec: &gs})
	return grpcErr(err)
}

// RemoveSecret is DELETE /secrets/{id}.
func (c *Cluster) RemoveSecret(ctx context.Context, ref string) error {
	cc, err := c.manager()
	if err != nil {
		return err
	}
	s, err := c.getSecret(ctx, cc, ref)
	if err != nil {
		return err
	}
	_, err = cc.RemoveSecret(ctx, &api.RemoveSecretRequest{SecretID: s.ID})
	return grpcErr(err)
}

func (c *Cluster) getConfig(ctx context.Context, cc api.ControlClient, ref string) (*api.Config, error) {
	return lookup(ctx, "config", ref,
		func(id string) (*api.Config, error) {
			r, err := cc.GetConfig(ctx, &api.GetConfigRequest{ConfigID: id})
			if err != nil {
				return nil, err
			}
			return r.Config, nil
		},
		func(names, prefixes []string) ([]*api.Config, error) {
			r, err := cc.ListConfigs(ctx, &api.ListConfigsRequest{Filters: &api.ListConfigsRequest_Filters{Names: names, IDPrefixes: prefixes}})
			if err != nil {
				return nil, grpcErr(err)
			}
			return r.Configs, nil
		},
		func(s *api.Config) string { return s.ID })
}

// GetConfigs is GET /configs.
func (c *Cluster) GetConfigs(ctx context.Context, f filters.Args) ([]types.Config, error) {
	cc, err := c.manager()
	if err != nil {
		return nil, err
	}
	gf, err := convert.ConfigFilters(f)
	if err != nil {
		return nil, err
	}
	r, err := cc.ListConfigs(ctx, &api.ListConfigsRequest{Filters: gf})
	if err != nil {
		return nil, grpcErr(err)
	}
	out := []types.Config{}
	for _, s := range r.Configs {
		out = append(out, convert.ConfigFromGRPC(s))
	}
	return out, nil
}

// GetConfig is GET /configs/{id}.
func (c *Cluster) GetConfig(ctx context.Context, ref string) (types.Config, error) {
	cc, err := c.manager()
	if err != nil {
		return types.Config{}, err
	}
	s, err := c.getConfig(ctx, cc, ref)
	if err != nil {
		return types.Config{}, err
	}
	return convert.ConfigFromGRPC(s), nil
}

// CreateConfig is POST /configs/create.
func (c *Cluster) CreateConfig(ctx context.Context, spec types.ConfigSpec) (string, error) {
	cc, err := c.manager()
	if err != nil {
		return "", err
	}
	gs := convert.ConfigSpecToGRPC(spec)
	r, err := cc.CreateConfig(ctx, &api.CreateConfigRequest{Spec: &gs})
	if err != nil {
		return "", grpcErr(err)
	}
	return r.Config.ID, nil
}

// UpdateConfig is POST /configs/{id}/update.
func (c *Cluster) UpdateConfig(ctx context.Context, ref string, version uint64, spec types.ConfigSpec) error {
	cc, err := c.manager()
	if err != nil {
		return err
	}
	s, err := c.getConfig(ctx, cc, ref)
	if err != nil {
		return err
	}
	gs := convert.ConfigSpecToGRPC(spec)
	_, err = cc.UpdateConfig(ctx, &api.UpdateConfigRequest{ConfigID: s.ID, ConfigVersion: &api.Version{Index: version}, Spec: &gs})
	return grpcErr(err)
}

// RemoveConfig is DELETE /configs/{id}.
func (c *Cluster) RemoveConfig(ctx context.Context, ref string) error {
	cc, err := c.manager()
	if err != nil {
		return err
	}
	s, err := c.getConfig(ctx, cc, ref)
	if err != nil {
		return err
	}
	_, err = cc.RemoveConfig(ctx, &api.RemoveConfigRequest{ConfigID: s.ID})
	return grpcErr(err)
}
