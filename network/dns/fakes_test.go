package dns

import (
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"
)

// fakeLookup is an in-memory Lookup that records the names it was asked.
type fakeLookup struct {
	mu    sync.Mutex
	ips   map[string][2][]netip.Addr
	ptrs  map[netip.Addr]string
	asked []string
}

func newFakeLookup() *fakeLookup {
	return &fakeLookup{
		ips: map[string][2][]netip.Addr{
			"web":       {addrs("172.30.0.2"), addrs("fd00:30::2")},
			"db":        {addrs("172.30.0.3"), nil},
			"v6only":    {nil, addrs("fd00:30::4")},
			"rr":        {addrs("172.30.0.5", "172.30.0.6", "172.30.0.7"), nil},
			"many":      {manyAddrs(60), nil},
			"app.front": {addrs("172.30.0.8"), nil},
		},
		ptrs: map[netip.Addr]string{
			netip.MustParseAddr("172.30.0.2"): "web.front",
			netip.MustParseAddr("fd00:30::2"): "web.front",
		},
	}
}

func (l *fakeLookup) LookupIP(name string) (v4, v6 []netip.Addr, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.asked = append(l.asked, name)
	e, ok := l.ips[name]
	return e[0], e[1], ok
}

func (l *fakeLookup) LookupPTR(ip netip.Addr) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	name, ok := l.ptrs[ip]
	return name, ok
}

func (l *fakeLookup) set(name string, v4, v6 []netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if v4 == nil && v6 == nil {
		delete(l.ips, name)
		return
	}
	l.ips[name] = [2][]netip.Addr{v4, v6}
}

func addrs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

func manyAddrs(n int) []netip.Addr {
	var out []netip.Addr
	for i := range n {
		out = append(out, netip.AddrFrom4([4]byte{172, 30, 1, byte(i + 1)}))
	}
	return out
}

// upstreamMode selects how a fakeUpstream answers.
type upstreamMode int

const (
	answerA    upstreamMode = iota // one A record 192.0.2.53 (documentation range, never contacted)
	answerFail                     // SERVFAIL
	answerBig                      // 60 A records: truncated over UDP, whole over TCP
)

// fakeUpstream is a resolver (names under big. always get answerBig) on 127.0.0.1 (UDP and TCP, same port) in the
// namespace of the test process.
type fakeUpstream struct {
	addr     netip.AddrPort
	mode     upstreamMode
	udp, tcp atomic.Int32 // queries received per transport
	servers  []*dns.Server
}

var upstreamAnswer = netip.MustParseAddr("192.0.2.53")

func startUpstream(t testing.TB, mode upstreamMode) *fakeUpstream {
	t.Helper()
	u := &fakeUpstream{mode: mode}
	var pc net.PacketConn
	var ln net.Listener
	for range 20 {
		var err error
		pc, err = net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln, err = net.Listen("tcp4", pc.LocalAddr().String())
		if err == nil {
			break
		}
		pc.Close()
		pc = nil
	}
	if pc == nil {
		t.Fatal("no free port for the fake upstream on 127.0.0.1")
	}
	u.addr = pc.LocalAddr().(*net.UDPAddr).AddrPort()
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: u}, {Listener: ln, Handler: u}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go func() { _ = srv.ActivateAndServe() }()
		<-started
		u.servers = append(u.servers, srv)
	}
	t.Cleanup(u.close)
	return u
}

func (u *fakeUpstream) close() {
	for _, srv := range u.servers {
		_ = srv.Shutdown()
	}
	u.servers = nil
}

func (u *fakeUpstream) queries() int { return int(u.udp.Load() + u.tcp.Load()) }

func (u *fakeUpstream) ServeDNS(w dns.ResponseWriter, q *dns.Msg) {
	tcp := strings.HasPrefix(w.RemoteAddr().Network(), "tcp")
	if tcp {
		u.tcp.Add(1)
	} else {
		u.udp.Add(1)
	}
	resp := new(dns.Msg).SetReply(q)
	resp.RecursionAvailable = true
	name := q.Question[0].Name
	a := func(ip netip.Addr) dns.RR {
		return &dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 30}, A: ip.AsSlice()}
	}
	mode := u.mode
	if strings.HasPrefix(name, "big.") {
		mode = answerBig
	}
	switch mode {
	case answerA:
		resp.Answer = append(resp.Answer, a(upstreamAnswer))
	case answerFail:
		resp.Rcode = dns.RcodeServerFailure
	case answerBig:
		for _, ip := range manyAddrs(60) {
			resp.Answer = append(resp.Answer, a(ip))
		}
		if !tcp {
			resp.Answer = nil
			resp.Truncated = true
		}
	}
	_ = w.WriteMsg(resp)
}

// closedPort is a 127.0.0.1 address where nothing listens, over UDP or TCP.
func closedPort(t testing.TB) netip.AddrPort {
	t.Helper()
	u := startUpstream(t, answerA)
	u.close()
	return u.addr
}
