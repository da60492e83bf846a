package network

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"github.com/berth-project/berth/internal/errdefs"

	"golang.org/x/sys/unix"
)

// Docker's ephemeral host port range for -P and -p CONT.
const (
	ephemeralLow  = 32768
	ephemeralHigh = 60999
)

// PortAllocatedError is Docker's "port is already allocated" conflict. Like
// moby's portallocator error it carries no errdefs class, so the API answers
// 500 exactly as Docker does.
type PortAllocatedError struct {
	HostIP netip.Addr
	Port   uint16
}

func (e *PortAllocatedError) Error() string {
	return fmt.Sprintf("Bind for %s:%d failed: port is already allocated", displayIP(e.HostIP), e.Port)
}

func displayIP(ip netip.Addr) string {
	if !ip.IsValid() {
		return "0.0.0.0"
	}
	if ip.Is6() {
		return "[" + ip.String() + "]"
	}
	return ip.String()
}

// sctpError says why -p .../sctp cannot work here: without the kernel's
// SCTP module there is nothing to forward to; with it, our DNAT maps do not
// cover SCTP yet.
func sctpError() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, unix.IPPROTO_SCTP)
	if err != nil {
		return errdefs.NotImplemented("publishing sctp ports: the kernel has no SCTP support (CONFIG_IP_SCTP)")
	}
	unix.Close(fd)
	return errdefs.NotImplemented("publishing sctp ports: not implemented")
}

type portKey struct {
	proto string
	ip    netip.Addr // zero: all addresses
	port  uint16
}

// portReserver holds one bound, never listening socket per published host
// port. The DNAT rule steals the traffic before it could reach the socket;
// the socket only keeps other berth endpoints and host processes from
// taking the port.
type portReserver struct {
	mu   sync.Mutex
	held map[portKey]int // -> fd
	// proxies are the userland proxies of [::1] bindings (proxy.go).
	proxies map[portKey]io.Closer
	cursor  uint16 // next ephemeral candidate
}

func newPortReserver() *portReserver {
	return &portReserver{held: map[portKey]int{}, cursor: ephemeralLow}
}

// conflicts reports whether k overlaps a held port: same proto and port,
// and the same address or either side binding all addresses.
func (r *portReserver) conflicts(k portKey) bool {
	if _, ok := r.held[k]; ok {
		return true
	}
	for h := range r.held {
		if h.proto == k.proto && h.port == k.port && (!h.ip.IsValid() || !k.ip.IsValid()) {
			return true
		}
	}
	return false
}

// bindSocket binds (without listen) a socket on ip:port.
func bindSocket(proto string, ip netip.Addr, port uint16) (int, error) {
	typ := unix.SOCK_STREAM
	if proto == "udp" {
		typ = unix.SOCK_DGRAM
	}
	fam := unix.AF_INET
	if ip.Is6() {
		fam = unix.AF_INET6
	}
	fd, err := unix.Socket(fam, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	var sa unix.Sockaddr = &unix.SockaddrInet4{Port: int(port)}
	if ip.Is4() {
		sa = &unix.SockaddrInet4{Port: int(port), Addr: ip.As4()}
	} else if ip.Is6() {
		// Only IPv6: the IPv4 side is a binding of its own.
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1)
		sa = &unix.SockaddrInet6{Port: int(port), Addr: ip.As16()}
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// reserve takes proto/ip/port; port 0 picks a free ephemeral port. ctr is
// only used for the error message ("ip:port/proto" of the container side).
func (r *portReserver) reserve(proto string, ip netip.Addr, lo, hi uint16, ctr string) (uint16, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if lo == 0 {
		return r.reserveEphemeral(proto, ip, ctr)
	}
	var lastErr error
	for p := uint32(lo); p <= uint32(hi); p++ {
		k := portKey{proto, ip, uint16(p)}
		if r.conflicts(k) {
			lastErr = &PortAllocatedError{HostIP: ip, Port: uint16(p)}
			continue
		}
		fd, err := bindSocket(proto, ip, uint16(p))
		if err != nil {
			lastErr = fmt.Errorf("failed to bind host port for %s:%d:%s: %w", displayIP(ip), p, ctr, err)
			continue
		}
		r.held[k] = fd
		return uint16(p), nil
	}
	return 0, lastErr
}

func (r *portReserver) reserveEphemeral(proto string, ip netip.Addr, ctr string) (uint16, error) {
	n := ephemeralHigh - ephemeralLow + 1
	for i := 0; i < n; i++ {
		p := r.cursor
		r.cursor++
		if r.cursor > ephemeralHigh {
			r.cursor = ephemeralLow
		}
		k := portKey{proto, ip, p}
		if r.conflicts(k) {
			continue
		}
		fd, err := bindSocket(proto, ip, p)
		if err != nil {
			continue // taken by a host process: try the next one
		}
		r.held[k] = fd
		return p, nil
	}
	return 0, fmt.Errorf("no free host port in %d-%d for %s/%s", ephemeralLow, ephemeralHigh, displayIP(ip), proto)
}

// take re-acquires a known port (daemon restart); conflicts are errors.
func (r *portReserver) take(m portMapping) error {
	_, err := r.reserve(m.Proto, m.HostIP, m.HostPort, m.HostPort, strconv.Itoa(int(m.CtrPort))+"/"+m.Proto)
	return err
}

func (r *portReserver) release(proto string, ip netip.Addr, port uint16) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := portKey{proto, ip, port}
	r.stopProxy(k)
	if fd, ok := r.held[k]; ok {
		unix.Close(fd)
		delete(r.held, k)
	}
}

func (r *portReserver) releaseAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, fd := range r.held {
		r.stopProxy(k)
		unix.Close(fd)
		delete(r.held, k)
	}
}

// parseHostPort parses Docker's HostPort: "" (ephemeral), "8080" or a
// range "8000-8010" (the first free one is used).
func parseHostPort(s string) (lo, hi uint16, err error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, 0, nil
	}
	a, b, isRange := strings.Cut(s, "-")
	l, err1 := strconv.ParseUint(a, 10, 16)
	h := l
	var err2 error
	if isRange {
		h, err2 = strconv.ParseUint(b, 10, 16)
	}
	if err := errors.Join(err1, err2); err != nil || l == 0 || h < l {
		return 0, 0, fmt.Errorf("invalid port specification: %q", s)
	}
	return uint16(l), uint16(h), nil
}
