package dns

import (
	"context"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// respTTL is the TTL of local answers, Docker's value.
const respTTL = 600

// maxConcurrentForwards bounds the forwarding goroutines one container can
// keep busy; beyond it queries answer SERVFAIL at once, as in Docker.
const maxConcurrentForwards = 100

// handler answers one container's queries. It holds no per-query state,
// so the UDP and TCP servers share it.
type handler struct {
	lookup    Lookup
	upstreams []netip.AddrPort
	timeout   time.Duration
	// noForwardUnqualified mirrors Docker's behaviour when the container
	// sets ndots explicitly: single-label names are not sent upstream, so
	// the resolver retries them with the search domains.
	noForwardUnqualified bool
	// ctx is cancelled by Server.Close to abort forwards in flight.
	ctx context.Context
	sem chan struct{}
}

func newHandler(ctx context.Context, cfg Config) *handler {
	return &handler{
		lookup:               cfg.Lookup,
		upstreams:            cfg.Upstreams,
		timeout:              cfg.Timeout,
		noForwardUnqualified: cfg.NoForwardUnqualified,
		ctx:                  ctx,
		sem:                  make(chan struct{}, maxConcurrentForwards),
	}
}

// ServeDNS implements dns.Handler.
func (h *handler) ServeDNS(w dns.ResponseWriter, q *dns.Msg) {
	proto := "udp"
	if _, ok := w.RemoteAddr().(*net.TCPAddr); ok {
		proto = "tcp"
	}
	resp := h.answer(proto, q)
	if proto == "udp" {
		resp.Truncate(udpSize(q))
	}
	_ = w.WriteMsg(resp) // the client retries; nothing to do on error
}

// answer builds the reply to q received over proto ("udp" or "tcp"):
// local, forwarded, or SERVFAIL. It never returns nil.
func (h *handler) answer(proto string, q *dns.Msg) *dns.Msg {
	if len(q.Question) != 1 {
		return new(dns.Msg).SetRcodeFormatError(q)
	}
	if resp := h.local(q); resp != nil {
		return resp
	}
	if resp := h.forward(proto, q); resp != nil {
		resp.Compress = true
		return resp
	}
	resp := new(dns.Msg).SetRcode(q, dns.RcodeServerFailure)
	resp.RecursionAvailable = true
	return resp
}

// local answers q from the Lookup, or returns nil to forward it.
func (h *handler) local(q *dns.Msg) *dns.Msg {
	question := q.Question[0]
	if question.Qclass != dns.ClassINET {
		return nil
	}
	name := strings.ToLower(strings.TrimSuffix(question.Name, "."))
	if question.Qtype == dns.TypePTR {
		return h.localPTR(q, name)
	}
	var v4, v6 []netip.Addr
	ok := false
	if h.lookup != nil && name != "" {
		v4, v6, ok = h.lookup.LookupIP(name)
	}
	if !ok {
		if h.noForwardUnqualified && !strings.Contains(name, ".") &&
			(question.Qtype == dns.TypeA || question.Qtype == dns.TypeAAAA) {
			return reply(q)
		}
		return nil
	}
	// A name we own is answered here whatever the type: forwarding it
	// could leak a container's name to the host's resolvers, or return an
	// unrelated host's address for it.
	resp := reply(q)
	hdr := dns.RR_Header{Name: question.Name, Class: dns.ClassINET, Ttl: respTTL}
	switch question.Qtype {
	case dns.TypeA:
		hdr.Rrtype = dns.TypeA
		for _, a := range shuffled(v4) {
			if a = a.Unmap(); a.Is4() {
				resp.Answer = append(resp.Answer, &dns.A{Hdr: hdr, A: a.AsSlice()})
			}
		}
	case dns.TypeAAAA:
		hdr.Rrtype = dns.TypeAAAA
		for _, a := range shuffled(v6) {
			if a.Is6() && !a.Is4In6() {
				resp.Answer = append(resp.Answer, &dns.AAAA{Hdr: hdr, AAAA: a.AsSlice()})
			}
		}
	}
	return resp
}

func (h *handler) localPTR(q *dns.Msg, name string) *dns.Msg {
	ip, ok := parsePTR(name)
	if !ok || h.lookup == nil {
		return nil
	}
	host, ok := h.lookup.LookupPTR(ip)
	if !ok || host == "" {
		return nil
	}
	resp := reply(q)
	resp.Answer = append(resp.Answer, &dns.PTR{
		Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: respTTL},
		Ptr: dns.Fqdn(host),
	})
	return resp
}

// reply is an empty NOERROR answer to q with RA set, as Docker sends.
func reply(q *dns.Msg) *dns.Msg {
	resp := new(dns.Msg).SetReply(q)
	resp.RecursionAvailable = true
	return resp
}

// shuffled returns a shuffled copy so that an alias shared by several
// containers balances between them (DNS round robin, as Docker does).
func shuffled(addrs []netip.Addr) []netip.Addr {
	if len(addrs) < 2 {
		return addrs
	}
	out := append([]netip.Addr(nil), addrs...)
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// udpSize is the largest UDP reply the client of q accepts.
func udpSize(q *dns.Msg) int {
	if opt := q.IsEdns0(); opt != nil && int(opt.UDPSize()) > dns.MinMsgSize {
		return int(opt.UDPSize())
	}
	return dns.MinMsgSize
}

// parsePTR turns a full reverse name (lower case, no trailing dot) under
// in-addr.arpa or ip6.arpa into the address it names. Partial names
// (a whole subnet) are not addresses and return false.
func parsePTR(name string) (netip.Addr, bool) {
	if rest, ok := strings.CutSuffix(name, ".in-addr.arpa"); ok {
		labels := strings.Split(rest, ".")
		if len(labels) != 4 {
			return netip.Addr{}, false
		}
		var b [4]byte
		for i, l := range labels {
			// Only canonical decimal labels: "010" is not the same name.
			n, err := strconv.ParseUint(l, 10, 8)
			if err != nil || strconv.FormatUint(n, 10) != l {
				return netip.Addr{}, false
			}
			b[3-i] = byte(n)
		}
		return netip.AddrFrom4(b), true
	}
	if rest, ok := strings.CutSuffix(name, ".ip6.arpa"); ok {
		labels := strings.Split(rest, ".")
		if len(labels) != 32 {
			return netip.Addr{}, false
		}
		var b [16]byte
		for i, l := range labels {
			if len(l) != 1 {
				return netip.Addr{}, false
			}
			n, err := strconv.ParseUint(l, 16, 8)
			if err != nil {
				return netip.Addr{}, false
			}
			nib := 31 - i
			b[nib/2] |= byte(n) << (4 * (1 - nib%2))
		}
		return netip.AddrFrom16(b), true
	}
	return netip.Addr{}, false
}
