package dns

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// recorder is a dns.ResponseWriter that keeps the reply and what a real
// client would receive after packing and unpacking it.
type recorder struct {
	tcp  bool
	msg  *dns.Msg
	wire int
}

func (r *recorder) LocalAddr() net.Addr {
	if r.tcp {
		return net.TCPAddrFromAddrPort(DefaultAddr)
	}
	return net.UDPAddrFromAddrPort(DefaultAddr)
}

func (r *recorder) RemoteAddr() net.Addr {
	c := netip.MustParseAddrPort("127.0.0.1:40000")
	if r.tcp {
		return net.TCPAddrFromAddrPort(c)
	}
	return net.UDPAddrFromAddrPort(c)
}

func (r *recorder) WriteMsg(m *dns.Msg) error {
	b, err := m.Pack()
	if err != nil {
		return err
	}
	r.wire = len(b)
	r.msg = new(dns.Msg)
	return r.msg.Unpack(b)
}

func (r *recorder) Write([]byte) (int, error) { panic("not used") }
func (r *recorder) Close() error              { return nil }
func (r *recorder) TsigStatus() error         { return nil }
func (r *recorder) TsigTimersOnly(bool)       {}
func (r *recorder) Hijack()                   {}

func testHandler(t *testing.T, l Lookup, ups ...netip.AddrPort) *handler {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return newHandler(ctx, Config{Lookup: l, Upstreams: ups, Timeout: 500 * time.Millisecond})
}

func query(name string, qtype uint16) *dns.Msg {
	q := new(dns.Msg).SetQuestion(name, qtype)
	q.Id = 4242
	return q
}

// answers lists the addresses or PTR targets of m's answer section.
func answers(t *testing.T, m *dns.Msg) []string {
	t.Helper()
	var out []string
	for _, rr := range m.Answer {
		switch rr := rr.(type) {
		case *dns.A:
			out = append(out, rr.A.String())
		case *dns.AAAA:
			out = append(out, rr.AAAA.String())
		case *dns.PTR:
			out = append(out, rr.Ptr)
		default:
			t.Fatalf("unexpected record %v", rr)
		}
		if rr.Header().Ttl != respTTL && rr.Header().Ttl != 30 {
			t.Errorf("TTL %d", rr.Header().Ttl)
		}
	}
	slices.Sort(out)
	return out
}

func TestHandlerAnswers(t *testing.T) {
	up := startUpstream(t, answerA)
	tests := []struct {
		name      string
		q         *dns.Msg
		rcode     int
		want      []string
		forwarded bool
	}{
		{"A", query("web.", dns.TypeA), dns.RcodeSuccess, []string{"172.30.0.2"}, false},
		{"AAAA", query("web.", dns.TypeAAAA), dns.RcodeSuccess, []string{"fd00:30::2"}, false},
		{"mixed case", query("WeB.", dns.TypeA), dns.RcodeSuccess, []string{"172.30.0.2"}, false},
		{"dotted name", query("App.Front.", dns.TypeA), dns.RcodeSuccess, []string{"172.30.0.8"}, false},
		{"known without AAAA", query("db.", dns.TypeAAAA), dns.RcodeSuccess, nil, false},
		{"known without A", query("v6only.", dns.TypeA), dns.RcodeSuccess, nil, false},
		{"known MX", query("web.", dns.TypeMX), dns.RcodeSuccess, nil, false},
		{"round robin set", query("rr.", dns.TypeA), dns.RcodeSuccess, []string{"172.30.0.5", "172.30.0.6", "172.30.0.7"}, false},
		{"PTR v4", query("2.0.30.172.in-addr.arpa.", dns.TypePTR), dns.RcodeSuccess, []string{"web.front."}, false},
		{"PTR v6", query(mustReverse("fd00:30::2"), dns.TypePTR), dns.RcodeSuccess, []string{"web.front."}, false},
		{"unknown forwarded", query("example.org.", dns.TypeA), dns.RcodeSuccess, []string{upstreamAnswer.String()}, true},
		{"unknown PTR forwarded", query("9.0.30.172.in-addr.arpa.", dns.TypePTR), dns.RcodeSuccess, []string{upstreamAnswer.String()}, true},
		{"partial PTR forwarded", query("30.172.in-addr.arpa.", dns.TypePTR), dns.RcodeSuccess, []string{upstreamAnswer.String()}, true},
		{"class CHAOS forwarded", func() *dns.Msg {
			q := query("web.", dns.TypeA)
			q.Question[0].Qclass = dns.ClassCHAOS
			return q
		}(), dns.RcodeSuccess, []string{upstreamAnswer.String()}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := testHandler(t, newFakeLookup(), up.addr)
			before := up.queries()
			w := &recorder{}
			h.ServeDNS(w, tt.q)
			m := w.msg
			if m == nil {
				t.Fatal("no reply written")
			}
			if m.Rcode != tt.rcode {
				t.Fatalf("rcode %s, want %s", dns.RcodeToString[m.Rcode], dns.RcodeToString[tt.rcode])
			}
			if m.Id != tt.q.Id || !m.Response || len(m.Question) != 1 || m.Question[0] != tt.q.Question[0] {
				t.Errorf("reply header/question does not match the query: %v", m)
			}
			if !m.RecursionAvailable {
				t.Error("RA not set")
			}
			if got := answers(t, m); !slices.Equal(got, tt.want) {
				t.Errorf("answers %v, want %v", got, tt.want)
			}
			for _, rr := range m.Answer {
				if !tt.forwarded && rr.Header().Name != tt.q.Question[0].Name {
					t.Errorf("owner %q, want the question's %q", rr.Header().Name, tt.q.Question[0].Name)
				}
			}
			if got := up.queries() - before; (got > 0) != tt.forwarded {
				t.Errorf("upstream got %d queries, forwarded=%v", got, tt.forwarded)
			}
		})
	}
}

func mustReverse(ip string) string {
	r, err := dns.ReverseAddr(ip)
	if err != nil {
		panic(err)
	}
	return r
}

func TestHandlerLookupSeesCurrentState(t *testing.T) {
	up := startUpstream(t, answerA)
	l := newFakeLookup()
	h := testHandler(t, l, up.addr)
	ask := func() []string {
		w := &recorder{}
		h.ServeDNS(w, query("late.", dns.TypeA))
		return answers(t, w.msg)
	}
	if got := ask(); !slices.Equal(got, []string{upstreamAnswer.String()}) {
		t.Fatalf("before connect: %v", got)
	}
	l.set("late", addrs("172.30.0.9"), nil)
	if got := ask(); !slices.Equal(got, []string{"172.30.0.9"}) {
		t.Fatalf("after connect: %v", got)
	}
	l.set("late", nil, nil)
	if got := ask(); !slices.Equal(got, []string{upstreamAnswer.String()}) {
		t.Fatalf("after disconnect: %v", got)
	}
	if !slices.Contains(l.asked, "late") {
		t.Errorf("lookup asked %v, want the lower-case name without dot", l.asked)
	}
}

func TestHandlerForwardFailures(t *testing.T) {
	good := startUpstream(t, answerA)
	fail := startUpstream(t, answerFail)
	down := closedPort(t)
	tests := []struct {
		name  string
		ups   []netip.AddrPort
		tcp   bool
		rcode int
	}{
		{"no upstreams", nil, false, dns.RcodeServerFailure},
		{"upstream down udp", []netip.AddrPort{down}, false, dns.RcodeServerFailure},
		{"upstream down tcp", []netip.AddrPort{down}, true, dns.RcodeServerFailure},
		{"upstream SERVFAIL", []netip.AddrPort{fail.addr}, false, dns.RcodeServerFailure},
		{"down then good", []netip.AddrPort{down, good.addr}, false, dns.RcodeSuccess},
		{"SERVFAIL then good", []netip.AddrPort{fail.addr, good.addr}, true, dns.RcodeSuccess},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := testHandler(t, newFakeLookup(), tt.ups...)
			w := &recorder{tcp: tt.tcp}
			h.ServeDNS(w, query("example.org.", dns.TypeA))
			if w.msg.Rcode != tt.rcode {
				t.Fatalf("rcode %s, want %s", dns.RcodeToString[w.msg.Rcode], dns.RcodeToString[tt.rcode])
			}
			if !w.msg.RecursionAvailable || w.msg.Id != 4242 {
				t.Errorf("reply header %v", w.msg.MsgHdr)
			}
		})
	}
}

func TestHandlerNoUpstreamIsNotAttempted(t *testing.T) {
	h := testHandler(t, nil) // nil Lookup: nothing is local
	w := &recorder{}
	start := time.Now()
	h.ServeDNS(w, query("web.", dns.TypeA))
	if w.msg.Rcode != dns.RcodeServerFailure {
		t.Fatalf("rcode %s", dns.RcodeToString[w.msg.Rcode])
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("took %v with no upstreams", d)
	}
}

func TestHandlerTruncation(t *testing.T) {
	big := startUpstream(t, answerBig)
	edns := func(q *dns.Msg) *dns.Msg { return q.SetEdns0(4096, false) }
	tests := []struct {
		name    string
		q       *dns.Msg
		tcp     bool
		wantTC  bool
		wantN   int // answers the client receives
		upTCP   bool
		maxWire int
	}{
		// Upstream truncates over UDP, so the server asks again over
		// TCP and then fits the answer to the client's UDP size.
		{"forwarded udp 512", query("big.example.", dns.TypeA), false, true, -1, true, 512},
		{"forwarded udp edns", edns(query("big.example.", dns.TypeA)), false, false, 60, true, 4096},
		{"forwarded tcp", query("big.example.", dns.TypeA), true, false, 60, true, 65535},
		{"local udp 512", query("many.", dns.TypeA), false, true, -1, false, 512},
		{"local udp edns", edns(query("many.", dns.TypeA)), false, false, 60, false, 4096},
		{"local tcp", query("many.", dns.TypeA), true, false, 60, false, 65535},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := testHandler(t, newFakeLookup(), big.addr)
			beforeTCP := big.tcp.Load()
			w := &recorder{tcp: tt.tcp}
			h.ServeDNS(w, tt.q)
			m := w.msg
			if m.Rcode != dns.RcodeSuccess || m.Truncated != tt.wantTC {
				t.Fatalf("rcode %s TC %v, want NOERROR TC %v", dns.RcodeToString[m.Rcode], m.Truncated, tt.wantTC)
			}
			if tt.wantN >= 0 && len(m.Answer) != tt.wantN {
				t.Errorf("%d answers, want %d", len(m.Answer), tt.wantN)
			}
			if tt.wantN < 0 && len(m.Answer) >= 60 {
				t.Errorf("%d answers in a truncated reply", len(m.Answer))
			}
			if w.wire > tt.maxWire {
				t.Errorf("reply is %d bytes, client accepts %d", w.wire, tt.maxWire)
			}
			if got := big.tcp.Load() > beforeTCP; got != tt.upTCP {
				t.Errorf("upstream asked over TCP: %v, want %v", got, tt.upTCP)
			}
		})
	}
}

func TestHandlerNoForwardUnqualified(t *testing.T) {
	up := startUpstream(t, answerA)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := newHandler(ctx, Config{Lookup: newFakeLookup(), Upstreams: []netip.AddrPort{up.addr}, Timeout: time.Second, NoForwardUnqualified: true})
	for _, tt := range []struct {
		name      string
		forwarded bool
	}{{"stranger.", false}, {"web.", false}, {"example.org.", true}} {
		before := up.queries()
		w := &recorder{}
		h.ServeDNS(w, query(tt.name, dns.TypeA))
		if w.msg.Rcode != dns.RcodeSuccess {
			t.Errorf("%s: rcode %s", tt.name, dns.RcodeToString[w.msg.Rcode])
		}
		if got := up.queries() > before; got != tt.forwarded {
			t.Errorf("%s: forwarded %v, want %v", tt.name, got, tt.forwarded)
		}
	}
}

func TestHandlerFormErr(t *testing.T) {
	h := testHandler(t, newFakeLookup())
	q := query("web.", dns.TypeA)
	q.Question = append(q.Question, q.Question[0])
	w := &recorder{}
	h.ServeDNS(w, q)
	if w.msg.Rcode != dns.RcodeFormatError {
		t.Fatalf("rcode %s", dns.RcodeToString[w.msg.Rcode])
	}
}

func TestHandlerCloseAbortsForward(t *testing.T) {
	// A UDP socket that never answers: the forward would wait the whole
	// timeout unless cancelled.
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	h := newHandler(ctx, Config{Lookup: newFakeLookup(), Upstreams: []netip.AddrPort{pc.LocalAddr().(*net.UDPAddr).AddrPort()}, Timeout: 10 * time.Second})
	done := make(chan *recorder)
	go func() {
		w := &recorder{}
		h.ServeDNS(w, query("example.org.", dns.TypeA))
		done <- w
	}()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	cancel()
	select {
	case w := <-done:
		if w.msg.Rcode != dns.RcodeServerFailure {
			t.Errorf("rcode %s", dns.RcodeToString[w.msg.Rcode])
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("cancel took %v", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("forward not aborted by cancel")
	}
}

func TestParsePTR(t *testing.T) {
	tests := []struct {
		name string
		want string // "" = not an address
	}{
		{"4.3.2.1.in-addr.arpa", "1.2.3.4"},
		{"0.0.0.0.in-addr.arpa", "0.0.0.0"},
		{"255.255.255.255.in-addr.arpa", "255.255.255.255"},
		{"3.2.1.in-addr.arpa", ""},
		{"5.4.3.2.1.in-addr.arpa", ""},
		{"256.3.2.1.in-addr.arpa", ""},
		{"04.3.2.1.in-addr.arpa", ""},
		{"-1.3.2.1.in-addr.arpa", ""},
		{"a.3.2.1.in-addr.arpa", ""},
		{"in-addr.arpa", ""},
		{"4.3.2.1.in-addr.arpa.example", ""},
		{mustReverse("2001:db8::1")[:len(mustReverse("2001:db8::1"))-1], "2001:db8::1"},
		{mustReverse("fd00:30::abcd")[:len(mustReverse("fd00:30::abcd"))-1], "fd00:30::abcd"},
		{"1.0.0.0.ip6.arpa", ""},
		{"10.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", ""},
		{"g.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", ""},
		{"web", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parsePTR(tt.name)
			if tt.want == "" {
				if ok {
					t.Fatalf("parsed as %v", got)
				}
				return
			}
			if !ok || got != netip.MustParseAddr(tt.want) {
				t.Fatalf("got %v %v, want %s", got, ok, tt.want)
			}
		})
	}
}

func TestUpstreamsFromResolvConf(t *testing.T) {
	conf := `# generated
search example.com
nameserver 127.0.0.53
nameserver   10.0.0.1   # office
nameserver ::1
nameserver fe80::1%eth0
nameserver not-an-ip
nameserver
#nameserver 9.9.9.9
; nameserver 8.8.4.4
options ndots:2
nameserver ::ffff:192.0.2.1
`
	want := []string{"127.0.0.53:53", "10.0.0.1:53", "[::1]:53", "[fe80::1%eth0]:53", "192.0.2.1:53"}
	var got []string
	for _, a := range UpstreamsFromResolvConf([]byte(conf)) {
		got = append(got, a.String())
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got := UpstreamsFromResolvConf(nil); len(got) != 0 {
		t.Fatalf("empty file: %v", got)
	}
}
