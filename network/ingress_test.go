package network

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/berth-project/berth/internal/errdefs"
)

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

var sampleIngress = map[string]*ingressService{
	"web": {ports: []IngressPort{{"tcp", 4000, 80}, {"udp", 4000, 53}},
		backends: addrs("172.30.0.5", "172.30.0.6", "172.30.0.7")},
	"api": {ports: []IngressPort{{"tcp", 8081, 8080}}, backends: addrs("172.30.0.9")},
}

func sampleIngressRules() []string {
	m := &Manager{ingress: sampleIngress}
	return m.ingressRules()
}

func TestRenderIngressRules(t *testing.T) {
	got := sampleIngressRules()
	want := []string{
		`meta nfproto ipv4 tcp dport 8081 dnat ip to 172.30.0.9 : 8080 comment "ingress api"`,
		`meta nfproto ipv4 tcp dport 4000 dnat ip to numgen inc mod 3 map { 0 : 172.30.0.5, 1 : 172.30.0.6, 2 : 172.30.0.7 } : 80 comment "ingress web"`,
		`meta nfproto ipv4 udp dport 4000 dnat ip to numgen inc mod 3 map { 0 : 172.30.0.5, 1 : 172.30.0.6, 2 : 172.30.0.7 } : 53 comment "ingress web"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rules:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r := renderIngressRules("x", &ingressService{ports: []IngressPort{{"tcp", 1, 2}}}); len(r) != 0 {
		t.Errorf("no backend must render no rule: %q", r)
	}
	if r := renderIngressRules(`we"b\`+"\n", sampleIngress["api"]); !strings.Contains(r[0], `comment "ingress we_b__"`) {
		t.Errorf("unsafe name in comment: %q", r)
	}
}

func TestRenderIngressGolden(t *testing.T) {
	spec := tableSpec{Table: "berth", Networks: []netRules{{Bridge: "berth0", Subnet: netip.MustParsePrefix("172.30.0.0/16"), ICC: true, Masquerade: true}},
		Ports: samplePorts, Ingress: sampleIngressRules()}
	text := renderTable(spec)
	golden(t, "table_ingress.nft", text)
	nftCheck(t, text)
	delta := renderIngressDelta("berth", sampleIngressRules())
	golden(t, "delta_ingress.nft", delta)
	// The delta must parse against the table it changes.
	nftCheck(t, text+delta)
	if got := renderIngressDelta("berth", nil); got != "flush chain inet berth ingress\n" {
		t.Errorf("empty delta = %q", got)
	}
}

func TestValidateIngress(t *testing.T) {
	ok := []IngressPort{{"tcp", 4000, 80}}
	v4 := netip.MustParseAddr("10.0.0.2")
	tests := []struct {
		name    string
		service string
		ports   []IngressPort
		backend netip.Addr
		class   func(error) bool
	}{
		{"ok", "web", ok, v4, nil},
		{"mapped v4 is v4", "web", ok, netip.MustParseAddr("::ffff:10.0.0.2"), nil},
		{"no service", "", ok, v4, errdefs.IsInvalidParameter},
		{"no ports", "web", nil, v4, errdefs.IsInvalidParameter},
		{"bad proto", "web", []IngressPort{{"icmp", 1, 1}}, v4, errdefs.IsInvalidParameter},
		{"sctp", "web", []IngressPort{{"sctp", 1, 1}}, v4, errdefs.IsNotImplemented},
		{"zero published", "web", []IngressPort{{"tcp", 0, 80}}, v4, errdefs.IsInvalidParameter},
		{"zero target", "web", []IngressPort{{"tcp", 80, 0}}, v4, errdefs.IsInvalidParameter},
		{"twice", "web", []IngressPort{{"tcp", 80, 80}, {"tcp", 80, 81}}, v4, errdefs.IsInvalidParameter},
		{"tcp and udp", "web", []IngressPort{{"tcp", 80, 80}, {"udp", 80, 80}}, v4, nil},
		{"no backend", "web", ok, netip.Addr{}, errdefs.IsInvalidParameter},
		{"v6 backend", "web", ok, netip.MustParseAddr("fd00::2"), errdefs.IsNotImplemented},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateIngress(tt.service, tt.ports, tt.backend)
			if tt.class == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !tt.class(err) {
				t.Fatalf("error %v is not of the expected class", err)
			}
		})
	}
}
