package dns

import (
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestRedirectPort53: with the server on a random port of 127.0.0.11 and
// Redirect's rules, queries to 127.0.0.11:53 (UDP and TCP) are answered
// while a server of the container's own holds *:53; a second Redirect
// (new server) takes over; the rules live in the namespace only.
func TestRedirectPort53(t *testing.T) {
	requireRoot(t)
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("needs nft")
	}
	ns := newTestNetNS(t, t.TempDir())
	s := startServer(t, Config{NetNSPath: ns, Addr: netip.MustParseAddrPort("127.0.0.11:0"), Lookup: newFakeLookup()})
	if err := Redirect(ns, s.Addr()); err != nil {
		t.Fatal(err)
	}
	// The container's own DNS server on the wildcard port 53.
	var own net.PacketConn
	if err := inNetNS(t, ns, func() error {
		var err error
		own, err = net.ListenPacket("udp", ":53")
		return err
	}); err != nil {
		t.Fatalf("container binding *:53 next to the redirected server: %v", err)
	}
	defer own.Close()
	for _, network := range []string{"udp", "tcp"} {
		m := ask(t, ns, network, query("web.", dns.TypeA))
		if got := answers(t, m); !slices.Equal(got, []string{"172.30.0.2"}) {
			t.Errorf("%s at 127.0.0.11:53: %v", network, got)
		}
	}
	// The container's server still gets what is sent to its own address.
	go func() {
		buf := make([]byte, 512)
		own.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, addr, err := own.ReadFrom(buf); err == nil {
			own.WriteTo(buf[:n], addr)
		}
	}()
	m := askAt(t, ns, "udp", netip.MustParseAddrPort("127.0.0.1:53"), query("echo.", dns.TypeA))
	if len(m.Question) != 1 || m.Question[0].Name != "echo." {
		t.Errorf("container's own server on 127.0.0.1:53: %v", m)
	}

	// A new server (the daemon restarted): the rules follow it.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := startServer(t, Config{NetNSPath: ns, Addr: netip.MustParseAddrPort("127.0.0.11:0"), Lookup: newFakeLookup()})
	if err := Redirect(ns, s2.Addr()); err != nil {
		t.Fatal(err)
	}
	if got := answers(t, ask(t, ns, "udp", query("web.", dns.TypeA))); !slices.Equal(got, []string{"172.30.0.2"}) {
		t.Errorf("after a second Redirect: %v", got)
	}
	var listing []byte
	if err := inNetNS(t, ns, func() error {
		var err error
		listing, err = exec.Command("nft", "list", "table", "ip", RedirectTable).CombinedOutput()
		return err
	}); err != nil || !strings.Contains(string(listing), fmt.Sprintf("dnat to 127.0.0.11:%d", s2.Addr().Port())) ||
		strings.Count(string(listing), "dnat to") != 2 || !strings.Contains(string(listing), fmt.Sprintf("tcp sport %d snat to :53", s2.Addr().Port())) {
		t.Errorf("rules in the namespace after the second Redirect: %v\n%s", err, listing)
	}
	out, _ := exec.Command("nft", "list", "tables").Output()
	if strings.Contains(string(out), RedirectTable) {
		t.Errorf("table %s appeared in the host namespace", RedirectTable)
	}
	threadsInHostNetNS(t)
}

func TestRedirectErrors(t *testing.T) {
	if err := Redirect("/nonexistent", netip.MustParseAddrPort("[::1]:5000")); err == nil {
		t.Error("IPv6 redirect accepted")
	}
	if err := Redirect("/nonexistent", netip.MustParseAddrPort("127.0.0.11:5000")); err == nil {
		t.Error("redirect in a missing namespace accepted")
	}
}

// BenchmarkRedirect is the cost Redirect adds to a container start: one
// netlink transaction into a fresh namespace.
func BenchmarkRedirect(b *testing.B) {
	requireRoot(b)
	dir := b.TempDir()
	for b.Loop() {
		b.StopTimer()
		ns := newTestNetNS(b, dir)
		b.StartTimer()
		if err := Redirect(ns, netip.MustParseAddrPort("127.0.0.11:40000")); err != nil {
			b.Fatal(err)
		}
	}
}
