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
		{name: "network keys", file: `{"icc":false,"ip-forward":false,"iptables":false,"ipv6":true,"fixed-cidr":"172.30.5.0/24","fixed-cidr-v6":"fd00:5::/64","dns-search":["example.test"],"dns-opts":["ndots:2"],"default-address-pools":[{"base":"10.10.0.0/16","size":24}],"mtu":1400}`,
			check: func(t *testing.T, c *Config) {
				if c.ICC || c.IPForward || c.IPTables || !c.IPv6 || c.FixedCIDR != "172.30.5.0/24" || c.FixedCIDRv6 != "fd00:5::/64" || c.MTU != 1400 ||
					len(c.DNSSearch) != 1 || c.DNSOptions[0] != "ndots:2" || len(c.DefaultAddressPools) != 1 || c.DefaultAddressPools[0] != (AddressPool{Base: "10.10.0.0/16", Size: 24}) {
					t.Errorf("merged %+v", c)
				}
			}},
		{name: "network defaults", file: `{}`,
			check: func(t *testing.T, c *Config) {
				if !c.ICC || !c.IPForward || !c.IPTables || c.IPv6 {
					t.Errorf("defaults %+v", c)
				}
			}},
		{name: "ipv6 without fixed-cidr-v6", file: `{"ipv6":true}`, wantErr: "--ipv6 needs --fixed-cidr-v6"},
		{name: "bad pool", file: `{"default-address-pools":[{"base":"10.0.0.0/16","size":8}]}`, wantErr: "invalid default address pool"},
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

func TestParseAddressPool(t *testing.T) {
	tests := []struct {
		in      string
		want    AddressPool
		wantErr bool
	}{
		{"base=172.80.0.0/16,size=24", AddressPool{Base: "172.80.0.0/16", Size: 24}, false},
		{"size=20, base=10.0.0.0/8", AddressPool{Base: "10.0.0.0/8", Size: 20}, false},
		{"base=10.0.0.0/8", AddressPool{}, true},
		{"base=10.0.0.0/8,size=x", AddressPool{}, true},
		{"foo=1", AddressPool{}, true},
	}
	for _, tt := range tests {
		got, err := ParseAddressPool(tt.in)
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
			t.Errorf("ParseAddressPool(%q) = %+v, %v", tt.in, got, err)
		}
	}
}

func TestRegistryOptions(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		check   func(*Config) bool
		wantErr bool
	}{
		{"defaults", `{}`, func(c *Config) bool {
			return c.MaxConcurrentDownloads == 3 && c.MaxConcurrentUploads == 5 && len(c.CertsDirs) == 2
		}, false},
		{"file", `{"insecure-registries":["10.0.0.0/8","myreg:5000"],"registry-mirrors":["http://127.0.0.1:5001"],"max-concurrent-downloads":8,"max-concurrent-uploads":2}`, func(c *Config) bool {
			return len(c.InsecureRegistries) == 2 && c.RegistryMirrors[0] == "http://127.0.0.1:5001" && c.MaxConcurrentDownloads == 8 && c.MaxConcurrentUploads == 2
		}, false},
		{"bad mirror", `{"registry-mirrors":["127.0.0.1:5001"]}`, nil, true},
		{"negative downloads", `{"max-concurrent-downloads":-1}`, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "daemon.json")
			if err := os.WriteFile(path, []byte(tc.json), 0o644); err != nil {
				t.Fatal(err)
			}
			file, set, err := LoadFile(path, false)
			if err != nil {
				t.Fatal(err)
			}
			base := Defaults()
			err = Merge(base, file, set, map[string]bool{})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err == nil && !tc.check(base) {
				t.Errorf("merged config: %+v", base)
			}
		})
	}
}
