package container

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestNetworkConfig(t *testing.T) {
	tests := []struct {
		args     []string
		mode     string
		eps      []string // endpoint keys
		alias    string   // first alias of the mode's endpoint
		ip       string
		errMatch string
	}{
		{args: nil, mode: "default"},
		{args: []string{"--network", "host"}, mode: "host"},
		{args: []string{"--network", "mynet"}, mode: "mynet", eps: []string{"mynet"}},
		{args: []string{"--net", "a", "--network", "b"}, mode: "a", eps: []string{"a", "b"}},
		{args: []string{"--network", "a", "--network-alias", "web", "--ip", "10.0.0.5"}, mode: "a", eps: []string{"a"}, alias: "web", ip: "10.0.0.5"},
		{args: []string{"--network", "name=a,alias=x,ip=10.0.0.6", "--network", "b"}, mode: "a", eps: []string{"a", "b"}, alias: "x", ip: "10.0.0.6"},
		{args: []string{"--ip", "172.30.0.9"}, mode: "default", eps: []string{"default"}, ip: "172.30.0.9"},
		{args: []string{"--network", "a", "--network", "host"}, errMatch: "conflicting options"},
		{args: []string{"--network", "a", "--network", "b", "--ip", "10.0.0.1"}, errMatch: "multiple networks"},
		{args: []string{"--network", "a", "--network", "a"}, errMatch: "specified multiple times"},
		{args: []string{"--network", "alias=x"}, errMatch: "network name must be specified"},
		{args: []string{"--network", "name=a,bogus=1"}, errMatch: "invalid field key"},
		{args: []string{"--ip", "fd00::1"}, errMatch: "invalid IPv4 address"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f := pflag.NewFlagSet("run", pflag.ContinueOnError)
			o := addFlags(f)
			if err := f.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			mode, nc, err := o.networkConfig()
			if tt.errMatch != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errMatch) {
					t.Fatalf("err = %v, want %q", err, tt.errMatch)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(mode) != tt.mode {
				t.Errorf("mode = %q, want %q", mode, tt.mode)
			}
			if len(nc.EndpointsConfig) != len(tt.eps) {
				t.Fatalf("endpoints = %v, want %v", nc.EndpointsConfig, tt.eps)
			}
			for _, k := range tt.eps {
				if nc.EndpointsConfig[k] == nil {
					t.Fatalf("no endpoint %q in %v", k, nc.EndpointsConfig)
				}
			}
			if tt.alias != "" || tt.ip != "" {
				es := nc.EndpointsConfig[string(mode)]
				if tt.alias != "" && (len(es.Aliases) == 0 || es.Aliases[0] != tt.alias) {
					t.Errorf("aliases = %v, want %s", es.Aliases, tt.alias)
				}
				if tt.ip != "" && (es.IPAMConfig == nil || es.IPAMConfig.IPv4Address.String() != tt.ip) {
					t.Errorf("IPAM = %+v, want %s", es.IPAMConfig, tt.ip)
				}
			}
		})
	}
}
