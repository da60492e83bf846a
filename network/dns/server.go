package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/miekg/dns"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netns"
)

// Lookup resolves the names a container may see. Its methods are called
// on every query, from several goroutines at once.
type Lookup interface {
	// LookupIP answers A/AAAA for a name the container may resolve
	// (container names, aliases); ok=false → forward upstream. The name
	// is lower case without the trailing dot. ok=true with no address of
	// the asked family answers NOERROR with no records.
	LookupIP(name string) (v4, v6 []netip.Addr, ok bool)
	// LookupPTR answers reverse lookups for container addresses;
	// ok=false → forward.
	LookupPTR(ip netip.Addr) (name string, ok bool)
}

// Config describes one container's server.
type Config struct {
	// NetNSPath is a bind mount of the container's network namespace,
	// e.g. /run/berth/netns/<id>. Its lo must be up.
	NetNSPath string
	// Addr is where the server listens inside that namespace, UDP and
	// TCP; default 127.0.0.11:53. Port 0 picks a port free for both (see
	// Server.Addr), for callers that redirect port 53 to it as Docker
	// does, which leaves port 53 free for the container's own servers.
	Addr   netip.AddrPort
	Lookup Lookup
	// Upstreams are the host's resolvers, asked from the host namespace
	// in order. Empty: every forwarded query answers SERVFAIL (fallback
	// resolvers such as Docker's 8.8.8.8 are the caller's choice).
	Upstreams []netip.AddrPort
	// Timeout bounds each attempt at one upstream; default 2s.
	Timeout time.Duration
	// NoForwardUnqualified answers unknown single-label A/AAAA names with
	// NOERROR and no records instead of forwarding them, as Docker does
	// when the container sets ndots explicitly.
	NoForwardUnqualified bool
}

// DefaultAddr is where containers find the embedded DNS server.
var DefaultAddr = netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 11}), 53)

const defaultTimeout = 2 * time.Second

// udpIdleRead is the read deadline of an idle UDP socket. miekg/dns
// re-arms it after every expiry; a long one keeps thousands of idle
// servers from waking the daemon (Close unblocks reads itself).
const udpIdleRead = 24 * time.Hour

// Server is one container's embedded DNS server.
type Server struct {
	addr      netip.AddrPort
	udp, tcp  *dns.Server
	cancel    context.CancelFunc
	loops     sync.WaitGroup // the UDP and TCP serve loops
	closeOnce sync.Once
	closeErr  error
}

// Start creates the server's sockets inside cfg.NetNSPath and serves them
// until Close. The sockets keep that namespace alive: Close the server
// when the container's network goes away.
func Start(cfg Config) (*Server, error) {
	if cfg.NetNSPath == "" {
		return nil, errdefs.InvalidParameter("dns: no network namespace path")
	}
	if !cfg.Addr.IsValid() {
		cfg.Addr = DefaultAddr
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultTimeout
	}
	cfg.Upstreams = append([]netip.AddrPort(nil), cfg.Upstreams...)

	pc, ln, err := listenInNetNS(cfg.NetNSPath, cfg.Addr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := newHandler(ctx, cfg)
	s := &Server{cancel: cancel, addr: netip.AddrPortFrom(cfg.Addr.Addr(), pc.LocalAddr().(*net.UDPAddr).AddrPort().Port())}
	s.udp = &dns.Server{
		PacketConn:     pc,
		Handler:        h,
		UDPSize:        dns.DefaultMsgSize,
		DecorateReader: func(r dns.Reader) dns.Reader { return idleUDPReader{r} },
	}
	s.tcp = &dns.Server{Listener: ln, Handler: h}

	// Each loop reports once: nil when it runs, or why it could not
	// start. Shutdown fails on a server that has not started yet, so
	// nothing may shut down before both loops have reported.
	var ready [2]chan error
	for i, srv := range []*dns.Server{s.udp, s.tcp} {
		ready[i] = make(chan error, 1)
		srv.NotifyStartedFunc = func() { ready[i] <- nil }
		s.loops.Go(func() {
			if err := srv.ActivateAndServe(); err != nil {
				logrus.WithError(err).Warnf("dns: server for %s stopped", cfg.NetNSPath)
				select {
				case ready[i] <- err:
				default: // already reported running
				}
			}
		})
	}
	var errs []error
	for _, c := range ready {
		if err := <-c; err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		cancel()
		_ = s.shutdown()
		pc.Close()
		ln.Close()
		s.loops.Wait()
		return nil, fmt.Errorf("dns: serve %s in %s: %w", cfg.Addr, cfg.NetNSPath, err)
	}
	return s, nil
}

// Addr is the address the server listens on, UDP and TCP, inside the
// container's namespace.
func (s *Server) Addr() netip.AddrPort { return s.addr }

// Close stops serving, aborts forwards in flight and closes the sockets,
// so the address is free again when it returns. It is idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		s.closeErr = s.shutdown()
		s.loops.Wait()
	})
	return s.closeErr
}

func (s *Server) shutdown() error {
	var errs []error
	for _, srv := range []*dns.Server{s.udp, s.tcp} {
		// A loop that already failed reports "server not started";
		// its socket is closed by then.
		if err := srv.Shutdown(); err != nil && !isNotStarted(err) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("dns: shutdown: %w", err)
	}
	return nil
}

func isNotStarted(err error) bool {
	return err != nil && err.Error() == "dns: server not started"
}

// idleUDPReader replaces the short UDP read deadline miekg/dns re-arms in
// its read loop (TCP keeps its timeouts: they bound slow clients).
type idleUDPReader struct{ dns.Reader }

func (r idleUDPReader) ReadUDP(conn *net.UDPConn, _ time.Duration) ([]byte, *dns.SessionUDP, error) {
	return r.Reader.ReadUDP(conn, udpIdleRead)
}

// listenInNetNS creates the UDP and TCP sockets inside the namespace at
// path. Sockets keep the namespace they were created in, so only their
// creation has to happen there.
//
// It runs on its own goroutine with the OS thread locked: if switching
// back to the original namespace fails, that goroutine exits still
// locked and the Go runtime destroys the thread rather than let other
// goroutines run inside the container's namespace.
func listenInNetNS(path string, addr netip.AddrPort) (*net.UDPConn, *net.TCPListener, error) {
	type result struct {
		pc  *net.UDPConn
		ln  *net.TCPListener
		err error
	}
	resc := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		var r result
		unlock := true
		defer func() {
			if unlock {
				runtime.UnlockOSThread()
			}
			resc <- r
		}()
		target, err := netns.GetFromPath(path)
		if err != nil {
			r.err = errdefs.NotFound("dns: open network namespace %s: %v", path, err)
			return
		}
		defer target.Close()
		orig, err := netns.Get()
		if err != nil {
			r.err = fmt.Errorf("dns: open current network namespace: %w", err)
			return
		}
		defer orig.Close()
		if err := netns.Set(target); err != nil {
			r.err = fmt.Errorf("dns: enter network namespace %s: %w", path, err)
			return
		}
		r.pc, r.ln, r.err = listen(addr)
		if err := netns.Set(orig); err != nil {
			unlock = false
			if r.err == nil {
				r.pc.Close()
				r.ln.Close()
			}
			r = result{err: fmt.Errorf("dns: return from network namespace %s: %w", path, err)}
			return
		}
		if r.err != nil {
			r.err = fmt.Errorf("dns: in network namespace %s: %w", path, r.err)
		}
	}()
	r := <-resc
	return r.pc, r.ln, r.err
}

// listen binds UDP and TCP on addr; port 0 picks one port free for both.
func listen(addr netip.AddrPort) (*net.UDPConn, *net.TCPListener, error) {
	for attempt := 0; ; attempt++ {
		pc, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(addr))
		if err != nil {
			return nil, nil, err
		}
		tcpAddr := netip.AddrPortFrom(addr.Addr(), pc.LocalAddr().(*net.UDPAddr).AddrPort().Port())
		ln, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(tcpAddr))
		if err == nil {
			return pc, ln, nil
		}
		pc.Close()
		if addr.Port() != 0 || attempt == 10 || !errors.Is(err, syscall.EADDRINUSE) {
			return nil, nil, err
		}
	}
}
