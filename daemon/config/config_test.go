package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadAndMerge(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		flags   map[string]bool
		wantErr string
		check   func(t *testing.T, c *Config)
	}{
		{name: "docker keys", file: `{"data-root":"/d","bip":"10.1.0.1/24","log-opts":{"max-size":"1k"},"runtimes":{"myrunc":{"path":"/usr/sbin/runc"}},"default-runtime":"myrunc","debug":true}`,
			check: func(t *testing.T, c *Config) {
				if c.DataRoot != "/d" || c.Bip != "10.1.0.1/24" || c.LogOpts["max-size"] != "1k" || c.Runtimes["myrunc"].Path != "/usr/sbin/runc" || c.DefaultRuntime != "myrunc" || !c.Debug {
					t.Errorf("merged %+v", c)
				}
			}},
		{name: "graph alias (the seeds' key)", file: `{"graph":"/opt/docker"}`,
			check: func(t *testing.T, c *Config) {
				if c.DataRoot != "/opt/docker" {
					t.Errorf("data root %q", c.DataRoot)
				}
			}},
		{name: "unknown key", file: `{"bogus":1}`, wantErr: "don't match any configuration option: bogus"},
		{name: "bad json", file: `{`, wantErr: "unable to configure"},
		{name: "flag and file", file: `{"bip":"10.1.0.1/24"}`, flags: map[string]bool{"bip": true}, wantErr: "specified both as a flag and in the configuration file: bip"},
		{name: "unsupported storage driver", file: `{"storage-driver":"zfs"}`, wantErr: "driver not supported: zfs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "daemon.json")
			if err := os.WriteFile(path, []byte(tt.file), 0o644); err != nil {
				t.Fatal(err)
			}
			base := Defaults()
			file, set, err := LoadFile(path, false)
			if err == nil {
				err = Merge(base, file, set, tt.flags)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, base)
		})
	}
	if _, _, err := LoadFile(filepath.Join(t.TempDir(), "missing.json"), true); err != nil {
		t.Errorf("optional missing file: %v", err)
	}
}
