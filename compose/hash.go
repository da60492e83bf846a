package compose

import (
	"encoding/json"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/opencontainers/go-digest"
)

// ServiceHash is the configuration hash Compose stores in the config-hash
// label: the service as JSON without the keys that do not change a
// container (how to build it, how many, in which order, which profile).
// Computed the same way as Docker Compose so either tool sees the same
// containers as up to date.
func ServiceHash(s types.ServiceConfig) (string, error) {
	s.Build = nil
	s.PullPolicy = ""
	s.Scale = nil
	if s.Deploy != nil {
		d := *s.Deploy
		d.Replicas = nil
		s.Deploy = &d
	}
	s.DependsOn = nil
	s.Profiles = nil
	data, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	return digest.SHA256.FromBytes(data).Encoded(), nil
}
