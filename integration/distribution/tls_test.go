package distribution

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
)

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(k)
	dir := t.TempDir()
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return cert, key
}

// TestTLSRegistry: a registry serving HTTPS on 127.0.0.1 (insecure by
// default, so its self-signed certificate is accepted like Docker does)
// takes pushes and pulls from both CLIs.
func TestTLSRegistry(t *testing.T) {
	d := daemon(t)
	cert, key := selfSigned(t)
	reg := startRegistry(t, "--tls-cert", cert, "--tls-key", key)
	for name, cli := range testutil.CLIs(d) {
		t.Run(name, func(t *testing.T) {
			ref := reg.Addr + "/tls/" + name + ":1"
			mustRun(t, cli, "tag", "busybox", ref)
			mustRun(t, cli, "push", ref)
			mustRun(t, cli, "rmi", ref)
			if out := mustRun(t, cli, "pull", ref); !strings.Contains(out, "Downloaded newer image") {
				t.Errorf("pull: %s", out)
			}
			mustRun(t, cli, "rmi", ref)
		})
	}
}

// TestBadReferences: malformed names, tags and digests fail with
// Docker's messages before any registry is contacted; search says why it
// is not available.
func TestBadReferences(t *testing.T) {
	d := daemon(t)
	for name, cli := range testutil.CLIs(d) {
		t.Run(name, func(t *testing.T) {
			for _, tc := range []struct{ ref, want string }{
				{"127.0.0.1:5000/UPPER/case", "invalid reference format"},
				{"127.0.0.1:5000/x:bad tag", "invalid reference format"},
				{"127.0.0.1:5000/x@sha256:nothex", "invalid reference format"},
			} {
				out, err := cli("pull", tc.ref)
				if err == nil || !strings.Contains(out, tc.want) {
					t.Errorf("pull %q: err=%v\n%s", tc.ref, err, out)
				}
			}
			out, err := cli("search", "busybox")
			if err == nil || !strings.Contains(out, "search is not supported") {
				t.Errorf("search: err=%v\n%s", err, out)
			}
		})
	}
}
