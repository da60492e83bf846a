package network

import (
	"errors"
	"net"
	"net/netip"
	"strconv"
	"testing"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/network"
)

func TestParseHostPort(t *testing.T) {
	tests := []struct {
		in     string
		lo, hi uint16
		bad    bool
	}{
		{"", 0, 0, false}, {"0", 0, 0, false}, {"8080", 8080, 8080, false},
		{"8000-8010", 8000, 8010, false}, {"x", 0, 0, true}, {"9-8", 0, 0, true}, {"70000", 0, 0, true},
	}
	for _, tt := range tests {
		lo, hi, err := parseHostPort(tt.in)
		if (err != nil) != tt.bad || lo != tt.lo || hi != tt.hi {
			t.Errorf("parseHostPort(%q) = %d,%d,%v", tt.in, lo, hi, err)
		}
	}
}

func TestWantedPorts(t *testing.T) {
	p80, p53u, p443 := network.MustParsePort("80/tcp"), network.MustParsePort("53/udp"), network.MustParsePort("443/tcp")
	req := AttachRequest{
		PortBindings: network.PortMap{
			p80:  {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: "8080"}, {HostPort: "8081"}},
			p53u: {{HostIP: netip.IPv4Unspecified(), HostPort: ""}},
		},
		PublishAll:   true,
		ExposedPorts: network.PortSet{p80: {}, p443: {}},
	}
	got, err := wantedPorts(req)
	if err != nil {
		t.Fatal(err)
	}
	want := []wantedPort{
		{proto: "udp", ctr: 53},
		{proto: "tcp", ctr: 80, hostIP: netip.MustParseAddr("127.0.0.1"), lo: 8080, hi: 8080},
		{proto: "tcp", ctr: 80, lo: 8081, hi: 8081},
		{proto: "tcp", ctr: 443},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("[%d] got %+v want %+v", i, got[i], want[i])
		}
	}
	// Without -P exposed ports are not published.
	req.PublishAll = false
	if got, _ := wantedPorts(req); len(got) != 3 {
		t.Errorf("without -P got %+v", got)
	}
	_, err = wantedPorts(AttachRequest{PortBindings: network.PortMap{network.MustParsePort("80/sctp"): nil}})
	if !errdefs.IsNotImplemented(err) {
		t.Errorf("sctp: %v", err)
	}
	_, err = wantedPorts(AttachRequest{PortBindings: network.PortMap{p80: {{HostPort: "abc"}}}})
	if !errdefs.IsInvalidParameter(err) {
		t.Errorf("bad host port: %v", err)
	}
}

// These bind sockets on 127.0.0.1 only; no root needed.
func TestPortReserverConflicts(t *testing.T) {
	r := newPortReserver()
	defer r.releaseAll()
	lo := netip.MustParseAddr("127.0.0.1")
	p, err := r.reserve("tcp", lo, 0, 0, "80/tcp")
	if err != nil || p < ephemeralLow || p > ephemeralHigh {
		t.Fatalf("ephemeral: %d %v", p, err)
	}
	// Same port again, on the same address or on all addresses: Docker's error.
	for _, ip := range []netip.Addr{lo, {}} {
		_, err := r.reserve("tcp", ip, p, p, "80/tcp")
		var pae *PortAllocatedError
		if !errors.As(err, &pae) {
			t.Fatalf("reserve %v:%d again: %v", ip, p, err)
		}
	}
	want := "Bind for 0.0.0.0:8080 failed: port is already allocated"
	if got := (&PortAllocatedError{Port: 8080}).Error(); got != want {
		t.Errorf("got %q want %q", got, want)
	}
	// UDP on the same number is independent.
	if _, err := r.reserve("udp", lo, p, p, "80/udp"); err != nil {
		t.Fatalf("udp same number: %v", err)
	}
	// The held socket keeps host processes off the port.
	if l, err := net.Listen("tcp", lo.String()+":"+itoa(p)); err == nil {
		l.Close()
		t.Fatal("a host process could listen on a reserved port")
	}
	r.release("tcp", lo, p)
	l, err := net.Listen("tcp", lo.String()+":"+itoa(p))
	if err != nil {
		t.Fatalf("port not freed by release: %v", err)
	}
	// Taken by a host process: explicit fails, ephemeral skips it.
	if _, err := r.reserve("tcp", lo, p, p, "80/tcp"); err == nil {
		t.Fatal("reserved a port a host process listens on")
	}
	l.Close()
}

func itoa(p uint16) string { return strconv.Itoa(int(p)) }
