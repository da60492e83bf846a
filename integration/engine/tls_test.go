package engine

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
	"github.com/moby/moby/client"
)

// writeCerts makes a CA and, signed by it, a server certificate for
// 127.0.0.1 and a client certificate, as docker's "protect the daemon
// socket" guide does with openssl. Files: ca.pem, server-cert.pem,
// server-key.pem, cert.pem, key.pem.
func writeCerts(t *testing.T, dir string) {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	write := func(name, typ string, der []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeKey := func(name string, k *ecdsa.PrivateKey) {
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		write(name, "EC PRIVATE KEY", der)
	}
	now := time.Now()
	caKey := newKey()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "berth test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	write("ca.pem", "CERTIFICATE", caDER)
	for i, leaf := range []struct {
		cert, key string
		tmpl      x509.Certificate
	}{
		{"server-cert.pem", "server-key.pem", x509.Certificate{Subject: pkix.Name{CommonName: "127.0.0.1"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}},
		{"cert.pem", "key.pem", x509.Certificate{Subject: pkix.Name{CommonName: "client"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}},
	} {
		k := newKey()
		tmpl := leaf.tmpl
		tmpl.SerialNumber = big.NewInt(int64(i + 2))
		tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.Add(24*time.Hour)
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		der, err := x509.CreateCertificate(rand.Reader, &tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		write(leaf.cert, "CERTIFICATE", der)
		writeKey(leaf.key, k)
	}
}

// TestTCPWithTLS: a daemon on tcp:// with --tlsverify serves clients
// holding a certificate signed by its CA, and refuses the others.
func TestTCPWithTLS(t *testing.T) {
	testutil.RequireRoot(t)
	certs := t.TempDir()
	writeCerts(t, certs)
	port := freePort(t)
	tcp := fmt.Sprintf("tcp://127.0.0.1:%d", port)
	d := testutil.StartDaemon(t, "-H", tcp, "--tlsverify",
		"--tlscacert", filepath.Join(certs, "ca.pem"),
		"--tlscert", filepath.Join(certs, "server-cert.pem"),
		"--tlskey", filepath.Join(certs, "server-key.pem"))
	d.LoadBusybox(t)
	tlsFlags := []string{"--tlsverify", "--tlscacert", filepath.Join(certs, "ca.pem"), "--tlscert", filepath.Join(certs, "cert.pem"), "--tlskey", filepath.Join(certs, "key.pem"), "-H", tcp}

	for name, bin := range cliBins(t, d) {
		t.Run(name, func(t *testing.T) {
			runTCP := func(env []string, args ...string) (string, error) {
				cmd := exec.Command(bin, args...)
				// No DOCKER_HOST: the unix socket must not be what answers.
				cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+filepath.Join(d.Root, "cliconfig"), "HOME="+t.TempDir())
				cmd.Env = append(cmd.Env, env...)
				out, err := cmd.CombinedOutput()
				return string(out), err
			}
			out, err := runTCP(nil, append(tlsFlags, "version", "--format", "{{.Server.Os}}")...)
			if err != nil || out != "linux\n" {
				t.Errorf("version over TLS: %v %q", err, out)
			}
			// attach streams (hijacked connection) over TLS too
			out, err = runTCP(nil, append(tlsFlags, "run", "--rm", "busybox", "echo", "over tls")...)
			if err != nil || out != "over tls\n" {
				t.Errorf("run over TLS: %v %q", err, out)
			}
			// the environment way: DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH
			out, err = runTCP([]string{"DOCKER_HOST=" + tcp, "DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH=" + certs}, "ps", "-a", "--format", "{{.ID}}")
			if err != nil || out != "" {
				t.Errorf("ps with DOCKER_TLS_VERIFY/DOCKER_CERT_PATH: %v %q", err, out)
			}
			// refused: no client certificate; plain HTTP; an unknown CA
			out, err = runTCP(nil, "--tls", "-H", tcp, "version", "--format", "{{.Server.Os}}")
			if err == nil || strings.Contains(out, "linux") {
				t.Errorf("TLS without a client certificate was served: %q", out)
			}
			out, err = runTCP(nil, "-H", tcp, "version", "--format", "{{.Server.Os}}")
			if err == nil || strings.Contains(out, "linux") {
				t.Errorf("plain HTTP on the TLS port was served: %q", out)
			}
			other := t.TempDir()
			writeCerts(t, other)
			out, err = runTCP(nil, "--tlsverify", "--tlscacert", filepath.Join(other, "ca.pem"), "--tlscert", filepath.Join(other, "cert.pem"), "--tlskey", filepath.Join(other, "key.pem"), "-H", tcp, "version", "--format", "{{.Server.Os}}")
			if err == nil || strings.Contains(out, "linux") {
				t.Errorf("client of another CA was served: %q", out)
			}
		})
	}

	// the Go SDK
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.New(client.WithHost(tcp), client.WithTLSClientConfig(filepath.Join(certs, "ca.pem"), filepath.Join(certs, "cert.pem"), filepath.Join(certs, "key.pem")), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Ping(ctx, client.PingOptions{}); err != nil {
		t.Errorf("SDK ping over TLS: %v", err)
	}
	nc, err := client.New(client.WithHost(tcp), client.WithTLSClientConfig(filepath.Join(certs, "ca.pem"), "", ""), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.Ping(ctx, client.PingOptions{}); err == nil {
		t.Error("SDK without a client certificate was served")
	}
}

// TestTCPWithoutTLSOnlyOnLoopback: the daemon refuses a non-loopback
// tcp:// address without TLS, before it sets anything up.
func TestTCPWithoutTLSOnlyOnLoopback(t *testing.T) {
	testutil.RequireRoot(t)
	bin := testutil.Binaries(t)
	root := t.TempDir()
	bridge := fmt.Sprintf("btit%x", time.Now().UnixNano()&0xffffff)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "berth"), "daemon",
		"--data-root", filepath.Join(root, "data"), "--exec-root", filepath.Join(root, "run"),
		"--bridge", bridge, "--bip", "10.251.77.1/24", "--config-file", filepath.Join(root, "none.json"),
		"-H", "unix://"+filepath.Join(root, "sock"), "-H", fmt.Sprintf("tcp://0.0.0.0:%d", freePort(t)))
	if err := os.WriteFile(filepath.Join(root, "none.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "refusing to listen on tcp://0.0.0.0:") {
		t.Fatalf("daemon on tcp://0.0.0.0 without TLS: %v\n%s", err, out)
	}
	if l, err := exec.Command("ip", "link", "show", bridge).CombinedOutput(); err == nil {
		t.Errorf("the refused daemon left its bridge: %s", l)
		_ = exec.Command("ip", "link", "del", bridge).Run()
	}
	if l, err := exec.Command("nft", "list", "tables").CombinedOutput(); err == nil && strings.Contains(string(l), "berth_"+bridge) {
		t.Errorf("the refused daemon left its nftables tables: %s", l)
		_ = exec.Command("nft", "delete", "table", "inet", "berth_"+bridge).Run()
		_ = exec.Command("nft", "delete", "table", "bridge", "berth_"+bridge).Run()
	}

	// On loopback, plain HTTP is allowed.
	port := freePort(t)
	d := testutil.StartDaemon(t, "-H", fmt.Sprintf("tcp://127.0.0.1:%d", port))
	out2, err := d.RunCLI(filepath.Join(d.Bin, "berth"), "-H", fmt.Sprintf("tcp://127.0.0.1:%d", port), "version", "--format", "{{.Server.Os}}")
	if err != nil || out2 != "linux\n" {
		t.Errorf("plain tcp on loopback: %v %q", err, out2)
	}
}
