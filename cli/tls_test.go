package cli

import (
	"crypto/tls"
	"testing"

	"github.com/spf13/pflag"
)

func TestClientTLS(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantNil  bool
		wantErr  bool
		insecure bool
	}{
		{name: "plain", args: nil, wantNil: true},
		{name: "--tls skips verification", args: []string{"--tls"}, insecure: true},
		{name: "--tlsverify=false still means TLS", args: []string{"--tlsverify=false"}, insecure: true},
		{name: "--tlsverify needs the CA", args: []string{"--tlsverify"}, wantErr: true},
		{name: "explicit missing cert", args: []string{"--tls", "--tlscert", "/nonexistent/cert.pem", "--tlskey", "/nonexistent/key.pem"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := pflag.NewFlagSet("t", pflag.ContinueOnError)
			dir := t.TempDir() // no ca.pem, cert.pem, key.pem there
			f.Bool("tls", false, "")
			f.Bool("tlsverify", false, "")
			f.String("tlscacert", dir+"/ca.pem", "")
			f.String("tlscert", dir+"/cert.pem", "")
			f.String("tlskey", dir+"/key.pem", "")
			if err := f.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			cfg, err := clientTLS(f)
			if tt.wantErr {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantNil {
				if cfg != nil {
					t.Fatal("want no TLS")
				}
				return
			}
			if cfg == nil || cfg.InsecureSkipVerify != tt.insecure || len(cfg.Certificates) != 0 || cfg.MinVersion != tls.VersionTLS12 {
				t.Fatalf("config %+v", cfg)
			}
		})
	}
}
