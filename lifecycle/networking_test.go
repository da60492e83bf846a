package lifecycle

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/berth-project/berth/container"
	containertypes "github.com/moby/moby/api/types/container"
	networktypes "github.com/moby/moby/api/types/network"
)

func TestParseNetMode(t *testing.T) {
	tests := []struct {
		in   string
		want netMode
		owns bool
	}{
		{"", netMode{modeBridge, "bridge"}, true},
		{"default", netMode{modeBridge, "bridge"}, true},
		{"bridge", netMode{modeBridge, "bridge"}, true},
		{"host", netMode{modeHost, "host"}, false},
		{"none", netMode{modeNone, "none"}, false},
		{"container:abc", netMode{modeContainer, "abc"}, false},
		{"mynet", netMode{modeUser, "mynet"}, true},
	}
	for _, tt := range tests {
		got := parseNetMode(containertypes.NetworkMode(tt.in))
		if got != tt.want || got.ownsNetNS() != tt.owns {
			t.Errorf("parseNetMode(%q) = %+v owns=%v, want %+v owns=%v", tt.in, got, got.ownsNetNS(), tt.want, tt.owns)
		}
	}
}

func TestParseLink(t *testing.T) {
	tests := []struct {
		in, target, alias string
		err               bool
	}{
		{"db", "db", "db", false},
		{"db:pg", "db", "pg", false},
		{"/db:/web/pg", "db", "pg", false},
		{":x", "", "", true},
		{"db:", "", "", true},
	}
	for _, tt := range tests {
		target, alias, err := parseLink(tt.in)
		if (err != nil) != tt.err || target != tt.target || alias != tt.alias {
			t.Errorf("parseLink(%q) = %q, %q, %v", tt.in, target, alias, err)
		}
	}
	got := normalizeLinks("/web", []string{"db", "cache:c", "/x:/web/y"})
	want := []string{"/db:/web/db", "/cache:/web/c", "/x:/web/y"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("normalizeLinks = %q, want %q", got, want)
	}
}

func TestLinkEnv(t *testing.T) {
	ports := networktypes.PortSet{}
	for _, p := range []string{"6379/tcp", "53/udp"} {
		port, err := networktypes.ParsePort(p)
		if err != nil {
			t.Fatal(err)
		}
		ports[port] = struct{}{}
	}
	got := linkEnv("my-db", "/web/my-db", netip.MustParseAddr("172.30.0.5"), ports, []string{"PATH=/bin", "HOME=/root", "PASS=x=y"})
	want := []string{
		"MY_DB_PORT=udp://172.30.0.5:53",
		"MY_DB_PORT_53_UDP=udp://172.30.0.5:53",
		"MY_DB_PORT_53_UDP_ADDR=172.30.0.5",
		"MY_DB_PORT_53_UDP_PORT=53",
		"MY_DB_PORT_53_UDP_PROTO=udp",
		"MY_DB_PORT_6379_TCP=tcp://172.30.0.5:6379",
		"MY_DB_PORT_6379_TCP_ADDR=172.30.0.5",
		"MY_DB_PORT_6379_TCP_PORT=6379",
		"MY_DB_PORT_6379_TCP_PROTO=tcp",
		"MY_DB_NAME=/web/my-db",
		"MY_DB_ENV_PASS=x=y",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("linkEnv:\n got %q\nwant %q", got, want)
	}
}

func TestResolvConf(t *testing.T) {
	host := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(host, []byte("# comment\nnameserver 127.0.0.53\nnameserver 192.0.2.1\nsearch corp.test\noptions edns0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	userNet := []*container.Endpoint{{NetworkName: "mynet"}}
	bridge := []*container.Endpoint{{NetworkName: "bridge"}}
	tests := []struct {
		name      string
		hc        containertypes.HostConfig
		endpoints []*container.Endpoint
		daemonDNS []string
		want      string
	}{
		{"host servers without loopback", containertypes.HostConfig{}, bridge, nil,
			"nameserver 192.0.2.1\nsearch corp.test\noptions edns0\n"},
		{"daemon --dns", containertypes.HostConfig{}, bridge, []string{"192.0.2.9"},
			"nameserver 192.0.2.9\nsearch corp.test\noptions edns0\n"},
		{"container flags win", containertypes.HostConfig{DNS: []netip.Addr{netip.MustParseAddr("192.0.2.7")}, DNSSearch: []string{"a.test"}, DNSOptions: []string{"ndots:2"}}, bridge, []string{"192.0.2.9"},
			"nameserver 192.0.2.7\nsearch a.test\noptions ndots:2\n"},
		{"user network: embedded server", containertypes.HostConfig{}, userNet, nil,
			"nameserver 127.0.0.11\nsearch corp.test\noptions ndots:0 edns0\n"},
		{"user network keeps the user's ndots", containertypes.HostConfig{DNSOptions: []string{"ndots:3"}}, userNet, nil,
			"nameserver 127.0.0.11\nsearch corp.test\noptions ndots:3\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Service{cfg: Config{HostResolvConf: host, DNS: tt.daemonDNS}}
			hc := tt.hc
			c := &container.Container{HostConfig: &hc, Endpoints: tt.endpoints}
			if got := string(s.resolvConf(c)); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestHostsFile(t *testing.T) {
	s := &Service{}
	c := &container.Container{
		HostConfig: &containertypes.HostConfig{ExtraHosts: []string{"db:10.0.0.5", "v6:::1", "eq=10.0.0.6"}},
		Endpoints: []*container.Endpoint{{NetworkName: "n", EndpointSettings: networktypes.EndpointSettings{
			IPAddress: netip.MustParseAddr("10.1.0.2"), GlobalIPv6Address: netip.MustParseAddr("fd00::2"),
		}}},
	}
	got, err := s.hostsFile(c, "myhost", &netSetup{hosts: []string{"10.1.0.9\tpg abc db"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"127.0.0.1\tlocalhost\n", "10.0.0.5\tdb\n", "::1\tv6\n", "10.0.0.6\teq\n", "10.1.0.9\tpg abc db\n", "10.1.0.2\tmyhost\n", "fd00::2\tmyhost\n"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("hosts lacks %q:\n%s", want, got)
		}
	}
	c.HostConfig.ExtraHosts = []string{"gw:host-gateway"}
	if _, err := s.hostsFile(c, "h", &netSetup{}); err == nil || !strings.Contains(err.Error(), "host-gateway") {
		t.Errorf("host-gateway without a default bridge: err = %v", err)
	}
}
