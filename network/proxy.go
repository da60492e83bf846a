package network

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Connections to [::1] cannot be DNATed: the container's replies come back
// from the bridge addressed to ::1, and the kernel drops loopback
// destinations arriving on any other interface (IPv6 has no
// route_localnet). Like Docker, we proxy that case in userland, and also a
// binding on another IPv6 host address of a container without IPv6: the
// socket that reserves the port listens, and each connection is copied to
// the container (its IPv6 address if it has one, else its IPv4 one). UDP
// is relayed per client address, with an idle timeout like conntrack's.

// needsProxy reports whether a binding of ep is served by the userland
// proxy: [::1], and any other IPv6 host address when the container has no
// IPv6 address to DNAT to (as Docker's docker-proxy does).
func needsProxy(ep *endpointRecord, p portMapping) bool {
	return p.HostIP == netip.IPv6Loopback() || (p.HostIP.Is6() && !ep.IP6.IsValid())
}

// startProxy turns the reserved socket of k into a listener forwarding to
// target; the proxy stops when the port is released.
func (r *portReserver) startProxy(proto string, ip netip.Addr, port uint16, target netip.AddrPort) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := portKey{proto, ip, port}
	fd, ok := r.held[k]
	if !ok {
		return fmt.Errorf("proxy for %s:%d: port not reserved", displayIP(ip), port)
	}
	if _, running := r.proxies[k]; running {
		return nil
	}
	// The reservation keeps owning fd (release closes it): an *os.File
	// wrapping fd itself would close it again from its finalizer, and
	// that number may by then belong to another socket. So the proxy is
	// built from a duplicate, and that File is closed at once (the net
	// package dups again).
	if proto == "tcp" {
		if err := unix.Listen(fd, 128); err != nil {
			return fmt.Errorf("listen on %s:%d: %w", displayIP(ip), port, err)
		}
	}
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("proxy for %s:%d: %w", displayIP(ip), port, err)
	}
	f := os.NewFile(uintptr(dup), "proxy")
	defer f.Close()
	if r.proxies == nil {
		r.proxies = map[portKey]io.Closer{}
	}
	if proto == "udp" {
		pc, err := net.FilePacketConn(f)
		if err != nil {
			return fmt.Errorf("proxy for %s:%d: %w", displayIP(ip), port, err)
		}
		r.proxies[k] = pc
		go serveUDPProxy(pc, target, udpProxyIdle)
		return nil
	}
	l, err := net.FileListener(f)
	if err != nil {
		return fmt.Errorf("proxy for %s:%d: %w", displayIP(ip), port, err)
	}
	r.proxies[k] = l
	go serveProxy(l, target)
	return nil
}

func serveProxy(l net.Listener, target netip.AddrPort) {
	for {
		c, err := l.Accept()
		if err != nil {
			return // closed by release
		}
		go func() {
			defer c.Close()
			up, err := net.DialTimeout("tcp", target.String(), 5*time.Second)
			if err != nil {
				return
			}
			defer up.Close()
			done := make(chan struct{}, 2)
			pipe := func(dst, src net.Conn) {
				_, _ = io.Copy(dst, src)
				if tc, ok := dst.(*net.TCPConn); ok {
					_ = tc.CloseWrite()
				}
				done <- struct{}{}
			}
			go pipe(up, c)
			go pipe(c, up)
			<-done
			<-done
		}()
	}
}

// udpProxyIdle ends a UDP flow without traffic, as conntrack's UDP timeout
// forgets a DNATed one.
const udpProxyIdle = 30 * time.Second

// serveUDPProxy relays datagrams between clients of pc and target: one
// upstream socket per client address, so replies find their way back;
// each flow ends after idle without traffic, and all end when pc closes.
func serveUDPProxy(pc net.PacketConn, target netip.AddrPort, idle time.Duration) {
	var mu sync.Mutex
	flows := map[string]*net.UDPConn{}
	defer func() {
		mu.Lock()
		for _, up := range flows {
			_ = up.Close()
		}
		mu.Unlock()
	}()
	buf := make([]byte, 65535)
	for {
		n, client, err := pc.ReadFrom(buf)
		if err != nil {
			return // closed by release
		}
		key := client.String()
		mu.Lock()
		up, ok := flows[key]
		if !ok {
			up, err = net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(target))
			if err != nil {
				mu.Unlock()
				continue
			}
			flows[key] = up
			go func() {
				rbuf := make([]byte, 65535)
				for {
					_ = up.SetReadDeadline(time.Now().Add(idle))
					m, err := up.Read(rbuf)
					if err != nil {
						break
					}
					if _, err := pc.WriteTo(rbuf[:m], client); err != nil {
						break
					}
				}
				mu.Lock()
				delete(flows, key)
				mu.Unlock()
				_ = up.Close()
			}()
		}
		mu.Unlock()
		_, _ = up.Write(buf[:n])
	}
}

// stopProxy closes the proxy of k, if any; r.mu held.
func (r *portReserver) stopProxy(k portKey) {
	if c, ok := r.proxies[k]; ok {
		_ = c.Close()
		delete(r.proxies, k)
	}
}

// proxyTarget is where a proxied binding of ep goes.
func proxyTarget(ep *endpointRecord, p portMapping) netip.AddrPort {
	if ep.IP6.IsValid() {
		return netip.AddrPortFrom(ep.IP6.Addr(), p.CtrPort)
	}
	return netip.AddrPortFrom(ep.IP.Addr(), p.CtrPort)
}

// startProxies starts the userland proxies of an endpoint's bindings.
func (m *Manager) startProxies(ep *endpointRecord) error {
	for _, p := range ep.Ports {
		if needsProxy(ep, p) {
			if err := m.ports.startProxy(p.Proto, p.HostIP, p.HostPort, proxyTarget(ep, p)); err != nil {
				return err
			}
		}
	}
	return nil
}
