package convert

import (
	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"
)

// SecretFromGRPC converts a secret object to GET /secrets/{id}'s body.
// Spec.Data is never returned: a secret's value leaves the raft store only
// towards the tasks that use it, as with dockerd (swarmkit's control API
// already strips it; this does not rely on that).
func SecretFromGRPC(s *swarmapi.Secret) types.Secret {
	if s == nil {
		return types.Secret{}
	}
	return types.Secret{
		ID:   s.ID,
		Meta: metaFromGRPC(s.Meta),
		Spec: types.SecretSpec{
			Annotations: annotationsFromGRPC(s.Spec.Annotations),
			Driver:      driverFromGRPC(s.Spec.Driver),
			Templating:  driverFromGRPC(s.Spec.Templating),
		},
	}
}

// SecretSpecToGRPC converts POST /secrets/create's (and update's) body.
func SecretSpecToGRPC(s types.SecretSpec) swarmapi.SecretSpec {
	return swarmapi.SecretSpec{
		Annotations: annotationsToGRPC(s.Annotations),
		Data:        s.Data,
		Driver:      driverToGRPC(s.Driver),
		Templating:  driverToGRPC(s.Templating),
	}
}

// ConfigFromGRPC converts a config object to GET /configs/{id}'s body;
// unlike a secret's, a config's Data is part of it.
func ConfigFromGRPC(c *swarmapi.Config) types.Config {
	if c == nil {
		return types.Config{}
	}
	return types.Config{
		ID:   c.ID,
		Meta: metaFromGRPC(c.Meta),
		Spec: types.ConfigSpec{
			Annotations: annotationsFromGRPC(c.Spec.Annotations),
			Data:        c.Spec.Data,
			Templating:  driverFromGRPC(c.Spec.Templating),
		},
	}
}

// ConfigSpecToGRPC converts POST /configs/create's (and update's) body.
func ConfigSpecToGRPC(s types.ConfigSpec) swarmapi.ConfigSpec {
	return swarmapi.ConfigSpec{
		Annotations: annotationsToGRPC(s.Annotations),
		Data:        s.Data,
		Templating:  driverToGRPC(s.Templating),
	}
}
