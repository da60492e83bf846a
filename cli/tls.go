package cli

import (
	"crypto/tls"
	"os"
	"path/filepath"

	"github.com/docker/go-connections/tlsconfig"
	"github.com/spf13/pflag"
)

// certDir is where --tlscacert/--tlscert/--tlskey default to, as in the
// docker CLI: $DOCKER_CERT_PATH, else ~/.docker.
func certDir(home string) string {
	if p := os.Getenv("DOCKER_CERT_PATH"); p != "" {
		return p
	}
	return filepath.Join(home, ".docker")
}

// clientTLS follows the docker CLI: --tlsverify (or DOCKER_TLS_VERIFY)
// implies --tls; without verification the server's certificate is not
// checked; a client key pair is sent when given, or when the default
// files exist. nil means plain HTTP.
func clientTLS(f *pflag.FlagSet) (*tls.Config, error) {
	useTLS, _ := f.GetBool("tls")
	verify, _ := f.GetBool("tlsverify")
	if f.Changed("tlsverify") || verify {
		useTLS = true
	}
	if !useTLS {
		return nil, nil
	}
	ca, _ := f.GetString("tlscacert")
	cert, _ := f.GetString("tlscert")
	key, _ := f.GetString("tlskey")
	if !f.Changed("tlscert") && !exists(cert) {
		cert = ""
	}
	if !f.Changed("tlskey") && !exists(key) {
		key = ""
	}
	return tlsconfig.Client(tlsconfig.Options{
		CAFile:             ca,
		CertFile:           cert,
		KeyFile:            key,
		InsecureSkipVerify: !verify,
		ExclusiveRootPools: true,
		MinVersion:         tls.VersionTLS12,
	})
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
