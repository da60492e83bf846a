package distribution

import (
	"context"
	"net/http"
	"strings"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/moby/moby/api/types/registry"
)

// Login implements POST /auth: it checks the credentials against the
// registry's /v2/ endpoint (through its token server when it has one).
// Nothing is stored: the client keeps credentials in its config.json.
func (s *Service) Login(ctx context.Context, a registry.AuthConfig) (registry.AuthResponse, error) {
	host := a.ServerAddress
	host = strings.TrimPrefix(strings.TrimPrefix(host, "https://"), "http://")
	host = strings.TrimSuffix(strings.TrimSuffix(host, "/"), "/v1")
	if i := strings.Index(host, "/"); i >= 0 {
		host = host[:i]
	}
	if host == "" || host == "index.docker.io" || host == "registry-1.docker.io" {
		host = name.DefaultRegistry
	}
	reg, err := name.NewRegistry(host, s.opts.nameOptions(host)...)
	if err != nil {
		return registry.AuthResponse{}, errdefs.InvalidParameter("invalid registry address %q: %v", a.ServerAddress, err)
	}
	rt, err := s.opts.roundTripper(ctx, host)
	if err != nil {
		return registry.AuthResponse{}, err
	}
	endpoint := reg.Scheme() + "://" + reg.RegistryStr() + "/v2/"
	if _, ok := rt.(httpsTransport); ok {
		endpoint = "https://" + reg.RegistryStr() + "/v2/"
	}
	tr, err := transport.NewWithContext(ctx, reg, authenticator(&a), rt, nil)
	if err != nil {
		if te, ok := err.(*transport.Error); ok && te.StatusCode == http.StatusUnauthorized {
			return registry.AuthResponse{}, errdefs.Unauthorized("login attempt to %s failed with status: 401 Unauthorized", endpoint)
		}
		return registry.AuthResponse{}, classify(err, "login to "+host)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return registry.AuthResponse{}, err
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		if te, ok := err.(*transport.Error); ok && te.StatusCode == http.StatusUnauthorized {
			return registry.AuthResponse{}, errdefs.Unauthorized("login attempt to %s failed with status: 401 Unauthorized", endpoint)
		}
		return registry.AuthResponse{}, errdefs.Unavailable("login to %s: %v", host, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return registry.AuthResponse{}, errdefs.Unauthorized("login attempt to %s failed with status: %s", endpoint, resp.Status)
	}
	return registry.AuthResponse{Status: "Login Succeeded"}, nil
}
