package dns

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/miekg/dns"
	"github.com/sirupsen/logrus"
)

// forward asks each upstream in turn, over the transport the client used,
// and returns the first usable answer, or nil when none answered.
//
// It runs on daemon goroutines, whose threads are in the host network
// namespace: that is what lets host loopback resolvers work.
func (h *handler) forward(proto string, q *dns.Msg) *dns.Msg {
	if len(h.upstreams) == 0 {
		return nil
	}
	select {
	case h.sem <- struct{}{}:
		defer func() { <-h.sem }()
	default:
		logrus.Debugf("dns: more than %d concurrent forwarded queries, answering SERVFAIL", maxConcurrentForwards)
		return nil
	}
	for _, up := range h.upstreams {
		if h.ctx.Err() != nil {
			return nil
		}
		resp, err := h.exchange(proto, up, q)
		if err != nil {
			logrus.Debugf("dns: forward %s %s to %s/%s: %v", dns.TypeToString[q.Question[0].Qtype], q.Question[0].Name, proto, up, err)
			continue
		}
		switch resp.Rcode {
		case dns.RcodeServerFailure, dns.RcodeRefused:
			// Like Docker: a failing or refusing server may be
			// transient or misconfigured, another may answer.
			continue
		}
		return resp
	}
	return nil
}

// exchange asks one upstream; a truncated UDP answer is asked again over
// TCP so the container gets the whole answer when it accepts it (the
// caller truncates again to the client's UDP size).
func (h *handler) exchange(proto string, up netip.AddrPort, q *dns.Msg) (*dns.Msg, error) {
	resp, err := h.exchangeOnce(proto, up, q)
	if err == nil && proto == "udp" && resp.Truncated {
		if tcpResp, tcpErr := h.exchangeOnce("tcp", up, q); tcpErr == nil {
			return tcpResp, nil
		}
		// The truncated answer is still an answer; the client will
		// retry over TCP itself.
	}
	return resp, err
}

func (h *handler) exchangeOnce(proto string, up netip.AddrPort, q *dns.Msg) (*dns.Msg, error) {
	ctx, cancel := context.WithTimeout(h.ctx, h.timeout)
	defer cancel()
	c := &dns.Client{Net: proto, Timeout: h.timeout, UDPSize: dns.DefaultMsgSize}
	conn, err := c.DialContext(ctx, up.String())
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	defer conn.Close()
	// ExchangeWithConnContext honours only the context's deadline; closing
	// the connection also aborts it when the server is closed.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()

	out := q.Copy()
	out.Id = dns.Id() // a fresh ID per hop, so upstream answers can't be guessed from the container's
	resp, _, err := c.ExchangeWithConnContext(ctx, out, conn)
	if err != nil {
		return nil, err
	}
	resp.Id = q.Id
	return resp, nil
}
