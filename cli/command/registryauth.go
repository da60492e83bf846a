package command

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	"github.com/distribution/reference"
	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/cli/cli/config/types"
	"github.com/moby/moby/api/types/registry"
)

// IndexServer is the key Docker Hub credentials are stored under.
const IndexServer = "https://index.docker.io/v1/"

// ConfigFile loads the client configuration (config.json) the way the
// docker CLI does: --config, else $DOCKER_CONFIG, else ~/.docker.
func (c *Cli) ConfigFile() (*configfile.ConfigFile, error) {
	dir := c.ConfigDir
	home, _ := os.UserHomeDir()
	if env := os.Getenv("DOCKER_CONFIG"); env != "" && (dir == "" || dir == filepath.Join(home, ".docker")) {
		dir = env
	}
	return config.Load(dir)
}

// RegistryKey is the config.json key of a registry host ("docker.io" and
// its aliases become Docker Hub's historical URL).
func RegistryKey(host string) string {
	host = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(host, "https://"), "http://"), "/")
	switch host {
	case "", "docker.io", "index.docker.io", "registry-1.docker.io", "index.docker.io/v1":
		return IndexServer
	}
	return host
}

// EncodeAuth is the X-Registry-Auth header value of a.
func EncodeAuth(a types.AuthConfig) string {
	b, _ := json.Marshal(registry.AuthConfig{
		Username: a.Username, Password: a.Password, ServerAddress: a.ServerAddress,
		IdentityToken: a.IdentityToken, RegistryToken: a.RegistryToken,
	})
	return base64.URLEncoding.EncodeToString(b)
}

// RegistryAuthFor returns the X-Registry-Auth value for the registry of
// an image reference from the stored credentials (credential helpers
// included); "" when there are none.
func (c *Cli) RegistryAuthFor(image string) string {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return ""
	}
	cf, err := c.ConfigFile()
	if err != nil {
		return ""
	}
	key := RegistryKey(reference.Domain(named))
	a, err := cf.GetAuthConfig(key)
	if err != nil || (a.Username == "" && a.IdentityToken == "" && a.RegistryToken == "") {
		return ""
	}
	a.ServerAddress = key
	return EncodeAuth(a)
}
