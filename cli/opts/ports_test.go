package opts

import (
	"net/netip"
	"testing"

	"github.com/moby/moby/api/types/network"
)

func TestParsePortSpec(t *testing.T) {
	tests := []struct {
		spec    string
		want    []string // "port ip hostport"
		wantErr bool
	}{
		{spec: "80", want: []string{"80/tcp  "}},
		{spec: "8080:80", want: []string{"80/tcp  8080"}},
		{spec: "8080:80/udp", want: []string{"80/udp  8080"}},
		{spec: "127.0.0.1:8080:80", want: []string{"80/tcp 127.0.0.1 8080"}},
		{spec: "127.0.0.1::80", want: []string{"80/tcp 127.0.0.1 "}},
		{spec: "[::1]:8080:80", want: []string{"80/tcp ::1 8080"}},
		{spec: "::1:8080:80", want: []string{"80/tcp ::1 8080"}},
		{spec: "8000-8001:80-81", want: []string{"80/tcp  8000", "81/tcp  8001"}},
		{spec: "8000-8010:80", want: []string{"80/tcp  8000-8010"}},
		{spec: "80-81/sctp", want: []string{"80/sctp  ", "81/sctp  "}},
		{spec: "8000-8002:80-81", wantErr: true},
		{spec: "80/bogus", wantErr: true},
		{spec: "abc", wantErr: true},
		{spec: "1.2.3:80:80", wantErr: true},
		{spec: "8080:", wantErr: true},
		{spec: "70000", wantErr: true},
		{spec: "[::1]80:80", wantErr: true},
		{spec: "81-80", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := ParsePortSpec(tc.spec)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("expected error, got %v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d mappings, want %d", len(got), len(tc.want))
			}
			for i, m := range got {
				ip := ""
				if m.Binding.HostIP.IsValid() {
					ip = m.Binding.HostIP.String()
				}
				if s := m.Port.String() + " " + ip + " " + m.Binding.HostPort; s != tc.want[i] {
					t.Errorf("mapping %d = %q, want %q", i, s, tc.want[i])
				}
			}
		})
	}
}

func TestParsePortSpecsMergesBindings(t *testing.T) {
	exposed, bindings, err := ParsePortSpecs([]string{"8080:80", "127.0.0.1:9090:80"})
	if err != nil {
		t.Fatal(err)
	}
	p := network.MustParsePort("80/tcp")
	if _, ok := exposed[p]; !ok || len(exposed) != 1 {
		t.Fatalf("exposed = %v", exposed)
	}
	if b := bindings[p]; len(b) != 2 || b[1].HostIP != netip.MustParseAddr("127.0.0.1") {
		t.Fatalf("bindings = %v", b)
	}
}

func TestParseExpose(t *testing.T) {
	ps, err := ParseExpose("8000-8002/udp")
	if err != nil || len(ps) != 3 || ps[2].String() != "8002/udp" {
		t.Fatalf("got %v, %v", ps, err)
	}
	if _, err := ParseExpose("x"); err == nil {
		t.Fatal("expected error")
	}
}

// FuzzParsePortSpec checks the parser never panics and that whatever it
// accepts is self-consistent.
func FuzzParsePortSpec(f *testing.F) {
	for _, s := range []string{"80", "8080:80/udp", "[::1]:1-2:3-4", "1.2.3.4::80", "a:b:c:d:e", "[", "]:", "65535-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := ParsePortSpec(s)
		if err != nil {
			return
		}
		if len(ms) == 0 {
			t.Fatalf("%q: accepted with no mappings", s)
		}
		for _, m := range ms {
			if !m.Port.IsValid() {
				t.Fatalf("%q: invalid port %v", s, m.Port)
			}
		}
	})
}
