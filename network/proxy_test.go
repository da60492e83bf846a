package network

import (
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestProxyKeepsReservedFD: starting a proxy must not hand the reserved
// socket to an *os.File whose finalizer closes it behind the reserver's
// back (release then closed a number that belonged to someone else: a
// netlink socket failed with EBADF).
func TestProxyKeepsReservedFD(t *testing.T) {
	r := newPortReserver()
	lo := netip.IPv6Loopback()
	port, err := r.reserve("tcp", lo, 0, 0, "80/tcp")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	defer r.releaseAll()
	// Something to forward to, so the listener has a target.
	up, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	if err := r.startProxy("tcp", lo, port, up.Addr().(*net.TCPAddr).AddrPort()); err != nil {
		t.Fatal(err)
	}
	fd := r.held[portKey{"tcp", lo, port}]
	for range 3 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
		t.Fatalf("reserved fd %d closed after GC: %v", fd, err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatalf("getsockname(%d): %v", fd, err)
	}
	if in6, ok := sa.(*unix.SockaddrInet6); !ok || in6.Port != int(port) {
		t.Fatalf("fd %d is no longer the reserved socket: %#v", fd, sa)
	}
	c, err := net.DialTimeout("tcp6", netip.AddrPortFrom(lo, port).String(), 2*time.Second)
	if err != nil {
		t.Fatalf("proxy on [::1]:%d: %v", port, err)
	}
	c.Close()
}
