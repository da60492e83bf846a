package daemon

import (
	"strings"
	"testing"

	"github.com/berth-project/berth/daemon/config"
)

func TestCheckHosts(t *testing.T) {
	tests := []struct {
		name    string
		cfg     config.Config
		wantErr string
	}{
		{"unix", config.Config{Hosts: []string{"unix:///run/x.sock"}}, ""},
		{"tcp loopback without TLS", config.Config{Hosts: []string{"tcp://127.0.0.1:2375"}}, ""},
		{"tcp localhost without TLS", config.Config{Hosts: []string{"tcp://localhost:2375"}}, ""},
		{"tcp ::1 without TLS", config.Config{Hosts: []string{"tcp://[::1]:2375"}}, ""},
		{"tcp default address", config.Config{Hosts: []string{"tcp://"}}, ""},
		{"tcp all addresses without TLS", config.Config{Hosts: []string{"tcp://0.0.0.0:2375"}}, "refusing to listen on tcp://0.0.0.0:2375 without TLS"},
		{"tcp host IP without TLS", config.Config{Hosts: []string{"unix:///x", "tcp://192.0.2.1:2375"}}, "refusing to listen"},
		{"tcp bad port", config.Config{Hosts: []string{"tcp://127.0.0.1:http"}}, "bad port"},
		{"tcp no port", config.Config{Hosts: []string{"tcp://127.0.0.1"}}, "invalid bind address"},
		{"tls without key pair", config.Config{Hosts: []string{"tcp://0.0.0.0:2376"}, TLSVerify: true}, "TLS requires --tlscert and --tlskey"},
		{"tls with missing files", config.Config{Hosts: []string{"tcp://0.0.0.0:2376"}, TLS: true, TLSCert: "/nonexistent/c.pem", TLSKey: "/nonexistent/k.pem"}, "load TLS key pair"},
		{"tls flags ignored without tcp", config.Config{Hosts: []string{"unix:///x"}, TLSVerify: true}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkHosts(&tt.cfg)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
}
