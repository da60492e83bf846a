package convert

import (
	types "github.com/moby/moby/api/types/swarm"
	"github.com/moby/swarmkit/v2/api"
)

// SecretFromGRPC converts a secret; its data never leaves the store
// through the API, as with dockerd.
func SecretFromGRPC(s *api.Secret) types.Secret {
	return types.Secret{
		ID:   s.ID,
		Meta: meta(s.Meta),
		Spec: types.SecretSpec{
			Annotations: annotations(s.Spec.Annotations),
			Driver:      driver(s.Spec.Driver),
			Templating:  driver(s.Spec.Templating),
		},
	}
}

// SecretSpecToGRPC converts a secret spec.
func SecretSpecToGRPC(s types.SecretSpec) api.SecretSpec {
	return api.SecretSpec{Annotations: annotationsToGRPC(s.Annotations), Data: s.Data, Driver: driverToGRPC(s.Driver), Templating: driverToGRPC(s.Templating)}
}

// ConfigFromGRPC converts a config, data included.
func ConfigFromGRPC(c *api.Config) types.Config {
	return types.Config{
		ID:   c.ID,
		Meta: meta(c.Meta),
		Spec: types.ConfigSpec{Annotations: annotations(c.Spec.Annotations), Data: c.Spec.Data, Templating: driver(c.Spec.Templating)},
	}
}

// ConfigSpecToGRPC converts a config spec.
func ConfigSpecToGRPC(s types.ConfigSpec) api.ConfigSpec {
	return api.ConfigSpec{Annotations: annotationsToGRPC(s.Annotations), Data: s.Data, Templating: driverToGRPC(s.Templating)}
}
