package convert

import (
	"net/netip"
	"testing"

	swarmapi "github.com/moby/swarmkit/v2/api"
)

func mustAddrs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func TestIsIngressNetwork(t *testing.T) {
	cases := []struct {
		name string
		n    *swarmapi.Network
		want bool
	}{
		{"nil", nil, false},
		{"flag", &swarmapi.Network{Spec: swarmapi.NetworkSpec{Ingress: true}}, true},
		{"legacy", &swarmapi.Network{Spec: swarmapi.NetworkSpec{Annotations: swarmapi.Annotations{Name: "ingress", Labels: map[string]string{"com.docker.swarm.internal": "true"}}}}, true},
		{"named ingress only", &swarmapi.Network{Spec: swarmapi.NetworkSpec{Annotations: swarmapi.Annotations{Name: "ingress"}}}, false},
		{"overlay", &swarmapi.Network{Spec: swarmapi.NetworkSpec{Annotations: swarmapi.Annotations{Name: "webnet"}}}, false},
	}
	for _, c := range cases {
		if got := IsIngressNetwork(c.n); got != c.want {
			t.Errorf("%s: got %v", c.name, got)
		}
	}
}
