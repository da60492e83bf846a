package distribution

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
	"github.com/distribution/distribution/v3/registry/auth/token"
	"github.com/go-jose/go-jose/v4"
)

// tokenServer is a minimal Docker token server: basic auth john:s3cret,
// tokens granting what the scope asks for, signed with a key whose
// certificate the registry trusts.
type tokenServer struct {
	realm, certFile string
}

func startTokenServer(t *testing.T, service, issuer string) *tokenServer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "token signer"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certFile := filepath.Join(t.TempDir(), "signer.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	kid := token.GetJWKThumbprint(&key.PublicKey)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "john" || p != "s3cret" {
			w.Header().Set("WWW-Authenticate", `Basic realm="token"`)
			http.Error(w, `{"details":"incorrect username or password"}`, http.StatusUnauthorized)
			return
		}
		now := time.Now()
		claims := token.ClaimSet{Issuer: issuer, Subject: "john", Audience: token.AudienceList{r.URL.Query().Get("service")},
			Expiration: now.Add(5 * time.Minute).Unix(), NotBefore: now.Add(-time.Minute).Unix(), IssuedAt: now.Unix(), JWTID: now.String()}
		for _, scope := range r.URL.Query()["scope"] {
			parts := strings.Split(scope, ":")
			if len(parts) == 3 {
				claims.Access = append(claims.Access, &token.ResourceActions{Type: parts[0], Name: parts[1], Actions: strings.Split(parts[2], ",")})
			}
		}
		payload, _ := json.Marshal(claims)
		sig, err := signer.Sign(payload)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		tok, _ := sig.CompactSerialize()
		json.NewEncoder(w).Encode(map[string]any{"token": tok, "access_token": tok, "expires_in": 300})
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	// go-containerregistry refuses a realm on a private IP literal other
	// than the registry's own host:port (its SSRF guard); a name is fine.
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return &tokenServer{realm: "http://localhost:" + port + "/token", certFile: certFile}
}

// TestTokenAuth: a registry behind a token server; login checks the
// password through the token server, push and pull get scoped tokens.
func TestTokenAuth(t *testing.T) {
	d := daemon(t)
	ts := startTokenServer(t, "berth-registry", "berth-test-issuer")
	reg := startRegistry(t, "--token-realm", ts.realm, "--token-service", "berth-registry",
		"--token-issuer", "berth-test-issuer", "--token-rootcertbundle", ts.certFile)
	for name, cli := range testutil.CLIs(d) {
		t.Run(name, func(t *testing.T) {
			out, err := cli("login", "-u", "john", "-p", "wrong", reg.Addr)
			if err == nil || !strings.Contains(out, "401 Unauthorized") {
				t.Fatalf("login with a wrong password: err=%v\n%s", err, out)
			}
			mustRun(t, cli, "login", "-u", "john", "-p", "s3cret", reg.Addr)
			defer cli("logout", reg.Addr)
			ref := reg.Addr + "/john/token-" + name + ":1"
			mustRun(t, cli, "tag", "busybox", ref)
			mustRun(t, cli, "push", ref)
			mustRun(t, cli, "rmi", ref)
			mustRun(t, cli, "pull", ref)
			mustRun(t, cli, "rmi", ref)
		})
	}
}
