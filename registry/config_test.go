package registry

import (
	"os"
	"path/filepath"
	"testing"
)

func TestOptionsConfig(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "config.yml")
	os.WriteFile(file, []byte("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: /from/file\nhttp:\n  addr: 127.0.0.1:6000\n"), 0o644)
	tests := []struct {
		name     string
		opts     Options
		wantRoot string
		wantAddr string
		wantAuth string
		wantErr  bool
	}{
		{name: "defaults", opts: Options{}, wantRoot: "/var/lib/berth-registry", wantAddr: "127.0.0.1:5000"},
		{name: "flags", opts: Options{Addr: "127.0.0.1:0", Root: "/r"}, wantRoot: "/r", wantAddr: "127.0.0.1:0"},
		{name: "file", opts: Options{ConfigFile: file}, wantRoot: "/from/file", wantAddr: "127.0.0.1:6000"},
		{name: "flags override file", opts: Options{ConfigFile: file, Root: "/r", Addr: ":1"}, wantRoot: "/r", wantAddr: ":1"},
		{name: "htpasswd", opts: Options{Htpasswd: "/h"}, wantRoot: "/var/lib/berth-registry", wantAddr: "127.0.0.1:5000", wantAuth: "htpasswd"},
		{name: "token", opts: Options{TokenRealm: "https://t/token"}, wantRoot: "/var/lib/berth-registry", wantAddr: "127.0.0.1:5000", wantAuth: "token"},
		{name: "both auths", opts: Options{Htpasswd: "/h", TokenRealm: "x"}, wantErr: true},
		{name: "cert without key", opts: Options{TLSCert: "/c"}, wantErr: true},
		{name: "missing file", opts: Options{ConfigFile: filepath.Join(dir, "nope")}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := tc.opts.Config()
			if tc.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Storage.Parameters()["rootdirectory"]; got != tc.wantRoot {
				t.Errorf("root = %v, want %s", got, tc.wantRoot)
			}
			if cfg.HTTP.Addr != tc.wantAddr {
				t.Errorf("addr = %s, want %s", cfg.HTTP.Addr, tc.wantAddr)
			}
			if cfg.Auth.Type() != tc.wantAuth {
				t.Errorf("auth = %q, want %q", cfg.Auth.Type(), tc.wantAuth)
			}
			if cfg.Storage["delete"]["enabled"] != true {
				t.Error("delete is not enabled")
			}
		})
	}
}
