package dns

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

func requireRoot(t testing.TB) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("needs root: creates network namespaces and binds port 53 inside them")
	}
}

// hostNetNS is the namespace every thread of the test process starts in.
var hostNetNS, _ = os.Readlink("/proc/thread-self/ns/net")

// newTestNetNS creates a network namespace with lo up, bind-mounted in a
// temporary directory; it is unmounted at cleanup. The creating thread
// returns to the host namespace, or is left locked so the runtime
// discards it (never the main thread: the runtime can only wedge that one).
func newTestNetNS(t testing.TB, dir string) string {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	path := filepath.Join(dir, "btdns"+hex.EncodeToString(b))
	if err := os.WriteFile(path, nil, 0o444); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer orig.Close()
		err = func() error {
			if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
				return fmt.Errorf("unshare: %w", err)
			}
			src := fmt.Sprintf("/proc/%d/task/%d/ns/net", os.Getpid(), unix.Gettid())
			if err := unix.Mount(src, path, "none", unix.MS_BIND, ""); err != nil {
				return fmt.Errorf("bind mount: %w", err)
			}
			lo, err := netlink.LinkByName("lo")
			if err != nil {
				return err
			}
			return netlink.LinkSetUp(lo)
		}()
		if rerr := netns.Set(orig); rerr != nil {
			errc <- errors.Join(err, rerr)
			return // still locked: the runtime discards the thread
		}
		runtime.UnlockOSThread()
		errc <- err
	}()
	err := <-errc
	t.Cleanup(func() {
		if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
			t.Errorf("unmount %s: %v", path, err)
		}
		_ = os.Remove(path)
	})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// inNetNS runs fn on a thread inside the namespace at path. Sockets fn
// creates stay in that namespace.
func inNetNS(t testing.TB, path string, fn func() error) error {
	t.Helper()
	ch := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		var ferr error
		unlock := true
		defer func() {
			if unlock {
				runtime.UnlockOSThread()
			}
			ch <- ferr
		}()
		orig, err := netns.Get()
		if err != nil {
			t.Errorf("current netns: %v", err)
			return
		}
		defer orig.Close()
		target, err := netns.GetFromPath(path)
		if err != nil {
			t.Errorf("open %s: %v", path, err)
			return
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			t.Errorf("enter %s: %v", path, err)
			return
		}
		ferr = fn()
		if err := netns.Set(orig); err != nil {
			unlock = false
			t.Errorf("leave %s: %v", path, err)
		}
	}()
	return <-ch
}

// dialIn opens a connection to addr from inside the namespace at path.
func dialIn(t testing.TB, path, network string, addr netip.AddrPort) *dns.Conn {
	t.Helper()
	var c net.Conn
	err := inNetNS(t, path, func() (err error) {
		c, err = net.DialTimeout(network, addr.String(), 2*time.Second)
		return err
	})
	if err != nil {
		t.Fatalf("dial %s %s in %s: %v", network, addr, path, err)
	}
	return &dns.Conn{Conn: c}
}

// ask sends q to the server in the namespace at path and returns its reply.
func ask(t testing.TB, path, network string, q *dns.Msg) *dns.Msg {
	t.Helper()
	return askAt(t, path, network, DefaultAddr, q)
}

func askAt(t testing.TB, path, network string, addr netip.AddrPort, q *dns.Msg) *dns.Msg {
	t.Helper()
	conn := dialIn(t, path, network, addr)
	defer conn.Close()
	c := &dns.Client{Net: network, Timeout: 3 * time.Second}
	resp, _, err := c.ExchangeWithConn(q, conn)
	if err != nil {
		t.Fatalf("%s query %v: %v", network, q.Question, err)
	}
	return resp
}

func startServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// threadsInHostNetNS fails t if any thread of the process is left in
// another network namespace than the process's own.
func threadsInHostNetNS(t testing.TB) {
	t.Helper()
	want := hostNetNS
	tasks, _ := filepath.Glob("/proc/self/task/*/ns/net")
	for _, p := range tasks {
		got, err := os.Readlink(p)
		if err == nil && got != want {
			t.Errorf("thread %s is in %s, not the host's %s", p, got, want)
		}
	}
}

func TestServerInNetNS(t *testing.T) {
	requireRoot(t)
	up := startUpstream(t, answerA)
	ns := newTestNetNS(t, t.TempDir())
	startServer(t, Config{NetNSPath: ns, Lookup: newFakeLookup(), Upstreams: []netip.AddrPort{up.addr}})

	tests := []struct {
		name   string
		q      *dns.Msg
		rcode  int
		want   []string
		wantTC bool
	}{
		{"A", query("web.", dns.TypeA), dns.RcodeSuccess, []string{"172.30.0.2"}, false},
		{"AAAA", query("WEB.", dns.TypeAAAA), dns.RcodeSuccess, []string{"fd00:30::2"}, false},
		{"known without AAAA", query("db.", dns.TypeAAAA), dns.RcodeSuccess, nil, false},
		{"PTR", query("2.0.30.172.in-addr.arpa.", dns.TypePTR), dns.RcodeSuccess, []string{"web.front."}, false},
		{"unknown forwarded", query("example.org.", dns.TypeA), dns.RcodeSuccess, []string{upstreamAnswer.String()}, false},
	}
	for _, network := range []string{"udp", "tcp"} {
		for _, tt := range tests {
			t.Run(network+"/"+tt.name, func(t *testing.T) {
				m := ask(t, ns, network, tt.q)
				if m.Rcode != tt.rcode || m.Id != tt.q.Id || !m.RecursionAvailable {
					t.Fatalf("reply %v", m.MsgHdr)
				}
				if got := answers(t, m); !slices.Equal(got, tt.want) {
					t.Errorf("answers %v, want %v", got, tt.want)
				}
			})
		}
	}
	t.Run("truncation", func(t *testing.T) {
		for _, name := range []string{"many.", "big.example."} {
			udpBefore, tcpBefore := up.udp.Load(), up.tcp.Load()
			m := ask(t, ns, "udp", query(name, dns.TypeA))
			if !m.Truncated || len(m.Answer) >= 60 {
				t.Errorf("%s over UDP: TC=%v with %d answers, want truncated", name, m.Truncated, len(m.Answer))
			}
			m = ask(t, ns, "tcp", query(name, dns.TypeA))
			if m.Truncated || len(m.Answer) != 60 {
				t.Errorf("%s over TCP: TC=%v with %d answers, want all 60", name, m.Truncated, len(m.Answer))
			}
			forwarded := name == "big.example."
			if got := up.udp.Load() > udpBefore; got != forwarded {
				t.Errorf("%s: upstream asked over UDP %v, want %v", name, got, forwarded)
			}
			if got := up.tcp.Load() > tcpBefore; got != forwarded {
				t.Errorf("%s: upstream asked over TCP %v, want %v", name, got, forwarded)
			}
		}
	})
	t.Run("busybox nslookup", func(t *testing.T) {
		if _, err := exec.LookPath("nsenter"); err != nil {
			t.Skip("needs nsenter")
		}
		busybox, err := exec.LookPath("busybox")
		if err != nil {
			t.Skip("needs busybox")
		}
		out, err := exec.Command("nsenter", "--net="+ns, busybox, "nslookup", "web", "127.0.0.11").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "172.30.0.2") || !strings.Contains(string(out), "fd00:30::2") {
			t.Errorf("nslookup web: %v\n%s", err, out)
		}
		out, err = exec.Command("nsenter", "--net="+ns, busybox, "nslookup", "example.org", "127.0.0.11").CombinedOutput()
		if err != nil || !strings.Contains(string(out), upstreamAnswer.String()) {
			t.Errorf("nslookup example.org: %v\n%s", err, out)
		}
	})
	threadsInHostNetNS(t)
}

func TestServerCloseFreesSockets(t *testing.T) {
	requireRoot(t)
	ns := newTestNetNS(t, t.TempDir())
	before := runtime.NumGoroutine()

	s, err := Start(Config{NetNSPath: ns, Lookup: newFakeLookup()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Start(Config{NetNSPath: ns}); err == nil || !errors.Is(err, unix.EADDRINUSE) {
		t.Errorf("second Start while the first runs: %v, want address in use", err)
	}
	// With no upstreams every forwarded query fails at once.
	for _, network := range []string{"udp", "tcp"} {
		if m := ask(t, ns, network, query("example.org.", dns.TypeA)); m.Rcode != dns.RcodeServerFailure {
			t.Errorf("%s: no upstreams answered %s, want SERVFAIL", network, dns.RcodeToString[m.Rcode])
		}
	}
	// An idle TCP client must not hold Close up.
	idle := dialIn(t, ns, "tcp", DefaultAddr)
	defer idle.Close()
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v", d)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	down := closedPort(t)
	s2 := startServer(t, Config{NetNSPath: ns, Lookup: newFakeLookup(), Upstreams: []netip.AddrPort{down}, Timeout: 500 * time.Millisecond})
	for _, network := range []string{"udp", "tcp"} {
		if m := ask(t, ns, network, query("example.org.", dns.TypeA)); m.Rcode != dns.RcodeServerFailure {
			t.Errorf("%s: upstream down answered %s, want SERVFAIL", network, dns.RcodeToString[m.Rcode])
		}
		if m := ask(t, ns, network, query("web.", dns.TypeA)); len(m.Answer) != 1 {
			t.Errorf("%s: restarted server does not answer local names: %v", network, m)
		}
	}
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	idle.Close()

	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		buf := make([]byte, 1<<16)
		t.Errorf("goroutines: %d before, %d after Close\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
	threadsInHostNetNS(t)
}

func TestServerStartErrors(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	if _, err := Start(Config{}); err == nil {
		t.Error("Start without a namespace succeeded")
	}
	if _, err := Start(Config{NetNSPath: filepath.Join(dir, "missing")}); err == nil {
		t.Error("Start with a missing namespace succeeded")
	}
	ns := newTestNetNS(t, dir)
	// An address that is not local in the namespace cannot be bound.
	if _, err := Start(Config{NetNSPath: ns, Addr: netip.MustParseAddrPort("192.0.2.1:53")}); err == nil || !strings.Contains(err.Error(), ns) {
		t.Errorf("Start on a foreign address: %v, want an error naming the namespace", err)
	}
	threadsInHostNetNS(t)
}

// TestServerMany starts servers in 50 namespaces, checks each answers only
// in its own namespace, and reports the cost per server.
func TestServerMany(t *testing.T) {
	requireRoot(t)
	const n = 50
	up := startUpstream(t, answerA)
	dir := t.TempDir()
	nss := make([]string, n)
	for i := range nss {
		nss[i] = newTestNetNS(t, dir)
	}
	runtime.GC()
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)
	g0 := runtime.NumGoroutine()
	fds0, _ := os.ReadDir("/proc/self/fd")

	servers := make([]*Server, n)
	start := time.Now()
	for i, ns := range nss {
		lookup := newFakeLookup()
		lookup.set(fmt.Sprintf("c%d", i), []netip.Addr{netip.AddrFrom4([4]byte{172, 31, 0, byte(i + 2)})}, nil)
		s, err := Start(Config{NetNSPath: ns, Lookup: lookup, Upstreams: []netip.AddrPort{up.addr}})
		if err != nil {
			t.Fatal(err)
		}
		servers[i] = s
	}
	elapsed := time.Since(start)
	runtime.GC()
	var m1 runtime.MemStats
	runtime.ReadMemStats(&m1)
	g1 := runtime.NumGoroutine()
	fds1, _ := os.ReadDir("/proc/self/fd")
	t.Logf("%d servers started in %v (%v each); per server: %d goroutines, %d fds, %d B heap + %d B stack in use",
		n, elapsed, elapsed/n, (g1-g0)/n, (len(fds1)-len(fds0))/n,
		(int64(m1.HeapInuse)-int64(m0.HeapInuse))/n, (int64(m1.StackInuse)-int64(m0.StackInuse))/n)
	if elapsed/n > 20*time.Millisecond {
		t.Errorf("Start takes %v per server", elapsed/n)
	}
	if (g1-g0)/n > 2 {
		t.Errorf("%d goroutines per idle server, want 2", (g1-g0)/n)
	}

	for i, ns := range nss {
		m := ask(t, ns, "udp", query(fmt.Sprintf("c%d.", i), dns.TypeA))
		want := netip.AddrFrom4([4]byte{172, 31, 0, byte(i + 2)}).String()
		if got := answers(t, m); !slices.Equal(got, []string{want}) {
			t.Errorf("ns %d: c%d → %v, want %s", i, i, got, want)
		}
		// Each namespace has its own server: the neighbour's name is
		// unknown here, so it goes upstream.
		other := (i + 1) % n
		m = ask(t, ns, "udp", query(fmt.Sprintf("c%d.", other), dns.TypeA))
		if got := answers(t, m); !slices.Equal(got, []string{upstreamAnswer.String()}) {
			t.Errorf("ns %d: c%d → %v, want the upstream's answer", i, other, got)
		}
	}
	start = time.Now()
	for _, s := range servers {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}
	t.Logf("%d servers closed in %v", n, time.Since(start))
	threadsInHostNetNS(t)
}

// bindPort53 binds UDP and TCP on the wildcard port 53 inside the
// namespace, as a DNS server in the container would.
func bindPort53(t *testing.T, ns string) error {
	t.Helper()
	return inNetNS(t, ns, func() error {
		pc, err := net.ListenPacket("udp", ":53")
		if err != nil {
			return err
		}
		defer pc.Close()
		ln, err := net.Listen("tcp", ":53")
		if err != nil {
			return err
		}
		return ln.Close()
	})
}

// TestServerPort53 shows the cost of listening on 127.0.0.11:53 itself:
// a container's own server on *:53 cannot bind. Port 0 (for a caller
// that redirects 127.0.0.11:53 like Docker) leaves port 53 free.
func TestServerPort53(t *testing.T) {
	requireRoot(t)
	ns := newTestNetNS(t, t.TempDir())
	s := startServer(t, Config{NetNSPath: ns, Lookup: newFakeLookup()})
	if err := bindPort53(t, ns); !errors.Is(err, unix.EADDRINUSE) {
		t.Errorf("container binding *:53 next to the default server: %v, want EADDRINUSE", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = startServer(t, Config{NetNSPath: ns, Addr: netip.MustParseAddrPort("127.0.0.11:0"), Lookup: newFakeLookup()})
	addr := s.Addr()
	if addr.Addr() != DefaultAddr.Addr() || addr.Port() == 0 || addr.Port() == 53 {
		t.Fatalf("Addr() = %v", addr)
	}
	for _, network := range []string{"udp", "tcp"} {
		m := askAt(t, ns, network, addr, query("web.", dns.TypeA))
		if got := answers(t, m); !slices.Equal(got, []string{"172.30.0.2"}) {
			t.Errorf("%s at %v: %v", network, addr, got)
		}
	}
	if err := bindPort53(t, ns); err != nil {
		t.Errorf("container binding *:53 next to a server on %v: %v", addr, err)
	}
}

// BenchmarkQuery measures one UDP query round trip from inside a
// namespace: answered locally, and forwarded to an upstream on the host's
// loopback.
func BenchmarkQuery(b *testing.B) {
	requireRoot(b)
	up := startUpstream(b, answerA)
	ns := newTestNetNS(b, b.TempDir())
	startServer(b, Config{NetNSPath: ns, Lookup: newFakeLookup(), Upstreams: []netip.AddrPort{up.addr}})
	for _, name := range []string{"web.", "example.org."} {
		b.Run(strings.TrimSuffix(name, "."), func(b *testing.B) {
			conn := dialIn(b, ns, "udp", DefaultAddr)
			defer conn.Close()
			c := &dns.Client{Timeout: 2 * time.Second}
			q := query(name, dns.TypeA)
			for b.Loop() {
				q.Id = dns.Id()
				if _, _, err := c.ExchangeWithConn(q, conn); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
