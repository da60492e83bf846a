package distribution

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"sync"
	"time"
)

// ggcr talks plain HTTP to every loopback and private-network registry,
// while Docker tries HTTPS first for insecure registries and falls back to
// HTTP. speaksTLS probes a host once (a TLS handshake, certificate not
// checked: that is the transport's job) so a TLS registry on 127.0.0.1 is
// reached over HTTPS.
var tlsHosts sync.Map // host -> bool

func speaksTLS(ctx context.Context, host string) bool {
	if v, ok := tlsHosts.Load(host); ok {
		return v.(bool)
	}
	addr := host
	if _, _, err := net.SplitHostPort(host); err != nil {
		addr = net.JoinHostPort(host, "443")
	}
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 3 * time.Second}, Config: &tls.Config{InsecureSkipVerify: true}}
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	ok := false
	if c, err := d.DialContext(cctx, "tcp", addr); err == nil {
		c.Close()
		ok = true
	} else if cctx.Err() != nil {
		return false // not remembered: the host may just be slow
	}
	tlsHosts.Store(host, ok)
	return ok
}

// httpsTransport sends every request over HTTPS.
type httpsTransport struct{ rt http.RoundTripper }

func (t httpsTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme == "http" {
		r = r.Clone(r.Context())
		r.URL.Scheme = "https"
	}
	return t.rt.RoundTrip(r)
}
