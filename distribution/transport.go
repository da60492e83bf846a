package distribution

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/moby/moby/api/types/registry"
)

// userAgent is what registries see in their logs.
const userAgent = "berth/0.1 (docker-compatible)"

// httpTransport is the transport to one registry host: TLS verification
// off for insecure registries, the CAs and client certificate of its
// certs.d directory otherwise (Docker's layout: *.crt are CAs, *.cert with
// the *.key of the same name a client certificate).
func (o *Options) httpTransport(host string) (http.RoundTripper, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 16
	t.ResponseHeaderTimeout = 60 * time.Second
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.insecure(host) {
		cfg.InsecureSkipVerify = true
	}
	for _, base := range o.CertsDirs {
		dir := filepath.Join(base, host)
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			p := filepath.Join(dir, e.Name())
			switch {
			case strings.HasSuffix(e.Name(), ".crt"):
				pem, err := os.ReadFile(p)
				if err != nil {
					return nil, err
				}
				if cfg.RootCAs == nil {
					if cfg.RootCAs, err = x509.SystemCertPool(); err != nil {
						cfg.RootCAs = x509.NewCertPool()
					}
				}
				cfg.RootCAs.AppendCertsFromPEM(pem)
			case strings.HasSuffix(e.Name(), ".cert"):
				key := strings.TrimSuffix(p, ".cert") + ".key"
				c, err := tls.LoadX509KeyPair(p, key)
				if err != nil {
					return nil, err
				}
				cfg.Certificates = append(cfg.Certificates, c)
			}
		}
	}
	t.TLSClientConfig = cfg
	return t, nil
}

// nameOptions parse references of host: insecure ones may fall back to
// plain HTTP.
func (o *Options) nameOptions(host string) []name.Option {
	if o.insecure(host) {
		return []name.Option{name.Insecure}
	}
	return nil
}

// authenticator turns the client's X-Registry-Auth into ggcr's.
func authenticator(a *registry.AuthConfig) authn.Authenticator {
	if a == nil {
		return authn.Anonymous
	}
	cfg := authn.AuthConfig{Username: a.Username, Password: a.Password, Auth: a.Auth, IdentityToken: a.IdentityToken, RegistryToken: a.RegistryToken}
	if cfg == (authn.AuthConfig{}) {
		return authn.Anonymous
	}
	return authn.FromConfig(cfg)
}

// remoteOptions are the ggcr options for one operation on host.
func (o *Options) remoteOptions(ctx context.Context, host string, a *registry.AuthConfig, jobs int) ([]remote.Option, error) {
	t, err := o.roundTripper(ctx, host)
	if err != nil {
		return nil, err
	}
	if jobs < 1 {
		jobs = 1
	}
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithTransport(t),
		remote.WithAuth(authenticator(a)),
		remote.WithUserAgent(userAgent),
		remote.WithJobs(jobs),
	}, nil
}

// roundTripper is httpTransport, forced to HTTPS for an insecure host that
// speaks TLS (see speaksTLS).
func (o *Options) roundTripper(ctx context.Context, host string) (http.RoundTripper, error) {
	t, err := o.httpTransport(host)
	if err != nil {
		return nil, err
	}
	if o.insecure(host) && speaksTLS(ctx, host) {
		return httpsTransport{t}, nil
	}
	return t, nil
}
