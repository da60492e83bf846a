package registry

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"

	"github.com/distribution/distribution/v3/configuration"
)

// Options are the flags of `berth registry serve` and `gc`. A config file
// is read first; flags given explicitly override what it says.
type Options struct {
	Addr       string // listen address, e.g. 127.0.0.1:5000
	Root       string // filesystem storage root
	ConfigFile string // distribution config.yml
	// Htpasswd enables basic auth against an htpasswd (bcrypt) file.
	Htpasswd string
	Realm    string
	// Token auth: a token server's realm URL, service, issuer and the
	// certificate bundle its tokens are signed with.
	TokenRealm, TokenService, TokenIssuer, TokenRootCerts string
	TLSCert, TLSKey                                       string
	LogLevel                                              string
}

// Config builds distribution's configuration from o. Delete is always
// enabled: `docker rmi` of a remote tag and gc need it.
func (o Options) Config() (*configuration.Configuration, error) {
	cfg := &configuration.Configuration{}
	if o.ConfigFile != "" {
		f, err := os.Open(o.ConfigFile)
		if err != nil {
			return nil, fmt.Errorf("registry config: %w", err)
		}
		cfg, err = configuration.Parse(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("registry config %s: %w", o.ConfigFile, err)
		}
	} else {
		cfg.Version = configuration.MajorMinorVersion(0, 1)
		cfg.Log.Level = "info"
	}
	if o.Root != "" || cfg.Storage == nil || cfg.Storage.Type() == "" {
		root := o.Root
		if root == "" {
			root = "/var/lib/berth-registry"
		}
		st := configuration.Storage{"filesystem": {"rootdirectory": root}}
		for k, v := range cfg.Storage {
			if k == "delete" || k == "maintenance" || k == "cache" || k == "redirect" || k == "tag" {
				st[k] = v
			}
		}
		cfg.Storage = st
	}
	cfg.Storage["delete"] = configuration.Parameters{"enabled": true}
	if o.Addr != "" {
		cfg.HTTP.Addr = o.Addr
	}
	if cfg.HTTP.Addr == "" {
		cfg.HTTP.Addr = "127.0.0.1:5000"
	}
	if o.TLSCert != "" || o.TLSKey != "" {
		if o.TLSCert == "" || o.TLSKey == "" {
			return nil, fmt.Errorf("registry: --tls-cert and --tls-key go together")
		}
		cfg.HTTP.TLS.Certificate, cfg.HTTP.TLS.Key = o.TLSCert, o.TLSKey
	}
	switch {
	case o.Htpasswd != "" && o.TokenRealm != "":
		return nil, fmt.Errorf("registry: choose either --htpasswd or --token-realm")
	case o.Htpasswd != "":
		realm := o.Realm
		if realm == "" {
			realm = "Registry Realm"
		}
		cfg.Auth = configuration.Auth{"htpasswd": {"realm": realm, "path": o.Htpasswd}}
	case o.TokenRealm != "":
		cfg.Auth = configuration.Auth{"token": {
			"realm": o.TokenRealm, "service": o.TokenService,
			"issuer": o.TokenIssuer, "rootcertbundle": o.TokenRootCerts,
		}}
	}
	// Non-distributable layers name where they live; the spec (and its
	// conformance suite) expect such manifests to be accepted.
	if len(cfg.Validation.Manifests.URLs.Allow) == 0 && len(cfg.Validation.Manifests.URLs.Deny) == 0 {
		cfg.Validation.Manifests.URLs.Allow = []string{"^https?://"}
	}
	if o.LogLevel != "" {
		cfg.Log.Level = configuration.Loglevel(o.LogLevel)
	}
	if cfg.Log.Level == "" {
		cfg.Log.Level = "info"
	}
	// One process signs its own upload state; a random secret avoids
	// distribution's warning and is what it would pick itself.
	if cfg.HTTP.Secret == "" {
		b := make([]byte, 16)
		rand.Read(b)
		cfg.HTTP.Secret = hex.EncodeToString(b)
	}
	return cfg, nil
}
