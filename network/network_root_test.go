package network

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/network"
	"github.com/vishvananda/netns"
	bolt "go.etcd.io/bbolt"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("needs root: creates bridges, veths, netns and nftables tables")
	}
	for _, bin := range []string{"nft", "nsenter", "busybox"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("needs %s", bin)
		}
	}
}

type harness struct {
	t      *testing.T
	cfg    Config
	dir    string
	dbPath string
	suffix string
	cur    *Manager // the running Manager, for cleanups that outlive restarts
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func newHarness(t *testing.T) *harness {
	needRoot(t)
	h := &harness{t: t, dir: t.TempDir(), suffix: randHex(3)}
	h.dbPath = filepath.Join(h.dir, "berth.db")
	db, err := bolt.Open(h.dbPath, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	third := int(h.suffix[0])%200 + 20
	h.cfg = Config{
		BridgeName: "bt-" + h.suffix,
		BridgeIP:   fmt.Sprintf("10.113.%d.1/24", third),
		NftTable:   "berth_test_" + h.suffix,
		DB:         db,
		StateDir:   filepath.Join(h.dir, "state"),
		// Networks created without --subnet come from here: our own
		// range, never the host's.
		DefaultAddressPools: []AddressPool{{Base: fmt.Sprintf("10.116.%d.0/24", third), Size: 27}},
	}
	return h
}

func (h *harness) newManager() *Manager {
	h.t.Helper()
	m, err := New(context.Background(), h.cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	return m
}

// assertClean checks that nothing of this test is left in the kernel.
func (h *harness) assertClean() {
	h.t.Helper()
	links, _ := exec.Command("ip", "-o", "link").Output()
	if strings.Contains(string(links), h.cfg.BridgeName) {
		h.t.Errorf("bridge %s left behind:\n%s", h.cfg.BridgeName, links)
	}
	tables, _ := exec.Command("nft", "list", "tables").Output()
	if strings.Contains(string(tables), h.cfg.NftTable) {
		h.t.Errorf("table %s left behind", h.cfg.NftTable)
	}
	for _, bin := range xtables {
		if out, _ := exec.Command(bin, "-S").Output(); strings.Contains(string(out), forwardChain(h.cfg.NftTable)) {
			h.t.Errorf("%s chain left behind:\n%s", bin, out)
		}
	}
}

func (h *harness) netns(name string) string {
	h.t.Helper()
	p := filepath.Join(h.dir, "netns", name)
	if err := NewNetNS(p); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() {
		if err := DeleteNetNS(p); err != nil {
			h.t.Error(err)
		}
	})
	return p
}

// listenIn opens a listener inside the namespace. The goroutine's thread
// stays in the namespace and is discarded (never unlocked).
func listenIn(t *testing.T, nsPath, netw, addr string) (l net.Listener, pc net.PacketConn) {
	t.Helper()
	type res struct {
		l   net.Listener
		pc  net.PacketConn
		err error
	}
	c := make(chan res, 1)
	go func() {
		runtime.LockOSThread()
		ns, err := netns.GetFromPath(nsPath)
		if err != nil {
			c <- res{err: err}
			return
		}
		defer ns.Close()
		if err := netns.Set(ns); err != nil {
			c <- res{err: err}
			return
		}
		if netw == "udp" {
			pc, err := net.ListenPacket("udp4", addr)
			c <- res{pc: pc, err: err}
			return
		}
		if netw != "tcp6" {
			netw = "tcp4"
		}
		l, err := net.Listen(netw, addr)
		c <- res{l: l, err: err}
	}()
	r := <-c
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.l != nil {
		t.Cleanup(func() { r.l.Close() })
		go func() {
			for {
				conn, err := r.l.Accept()
				if err != nil {
					return
				}
				fmt.Fprintf(conn, "hello from %s to %s\n", conn.LocalAddr(), conn.RemoteAddr())
				conn.Close()
			}
		}()
	}
	if r.pc != nil {
		t.Cleanup(func() { r.pc.Close() })
		go func() {
			buf := make([]byte, 1500)
			for {
				n, from, err := r.pc.ReadFrom(buf)
				if err != nil {
					return
				}
				r.pc.WriteTo(append([]byte("echo:"), buf[:n]...), from)
			}
		}()
	}
	return r.l, r.pc
}

func tcpHello(addr string) (string, error) {
	conn, err := net.DialTimeout("tcp4", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	return strings.TrimSpace(line), err
}

func inNS(nsPath string, args ...string) (string, error) {
	out, err := exec.Command("nsenter", append([]string{"--net=" + nsPath}, args...)...).CombinedOutput()
	return string(out), err
}

func hostPort(t *testing.T, ep *Endpoint, port string) string {
	t.Helper()
	b := ep.Ports[network.MustParsePort(port)]
	if len(b) == 0 {
		t.Fatalf("no binding for %s in %+v", port, ep.Ports)
	}
	return b[0].HostPort
}

func TestBridgeAttachPublishDetach(t *testing.T) {
	h := newHarness(t)
	m := h.newManager()
	ctx := context.Background()
	nsA, nsB := h.netns("a"), h.netns("b")
	p80, p53u := network.MustParsePort("80/tcp"), network.MustParsePort("53/udp")

	idA, idB := "ctr-a-"+h.suffix, "ctr-b-"+h.suffix
	start := time.Now()
	epA, err := m.Attach(ctx, AttachRequest{ContainerID: idA, NetNSPath: nsA,
		PortBindings: network.PortMap{p80: {{HostIP: netip.MustParseAddr("127.0.0.1")}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("attach with one published port took %v", time.Since(start))
	start = time.Now()
	epB, err := m.Attach(ctx, AttachRequest{ContainerID: idB, NetNSPath: nsB, PublishAll: true,
		ExposedPorts: network.PortSet{p80: {}, p53u: {}}, MacAddress: "02:42:de:ad:be:ef"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("attach with -P (2 ports) took %v", time.Since(start))

	subnet, gw, _ := m.Gateway()
	if !subnet.Contains(epA.IP.Addr()) || epA.Gateway != gw || epA.IP == epB.IP {
		t.Fatalf("addresses: A %v B %v gw %v subnet %v", epA.IP, epB.IP, gw, subnet)
	}
	if epA.MacAddress != macFromIP(epA.IP.Addr()) || epB.MacAddress != "02:42:de:ad:be:ef" {
		t.Errorf("MACs: %s %s", epA.MacAddress, epB.MacAddress)
	}
	if out, err := inNS(nsB, "ip", "-o", "link", "show", "eth0"); err != nil || !strings.Contains(out, "02:42:de:ad:be:ef") {
		t.Errorf("eth0 in B: %v %s", err, out)
	}

	// Container to container and container to gateway.
	for _, c := range []struct{ ns, ip string }{{nsA, epB.IP.Addr().String()}, {nsB, epA.IP.Addr().String()}, {nsA, gw.String()}} {
		if out, err := inNS(c.ns, "busybox", "ping", "-c1", "-W2", c.ip); err != nil {
			t.Errorf("ping %s: %v\n%s", c.ip, err, out)
		}
	}

	// Published TCP port of A on 127.0.0.1 (ephemeral).
	listenIn(t, nsA, "tcp", ":80")
	hpA := hostPort(t, epA, "80/tcp")
	if got, err := tcpHello("127.0.0.1:" + hpA); err != nil || !strings.Contains(got, epA.IP.Addr().String()+":80") {
		t.Errorf("127.0.0.1:%s -> A: %q %v", hpA, got, err)
	}
	// -P on B: TCP and UDP via 127.0.0.1.
	listenIn(t, nsB, "tcp", ":80")
	_, pc := listenIn(t, nsB, "udp", ":53")
	_ = pc
	hpB := hostPort(t, epB, "80/tcp")
	if got, err := tcpHello("127.0.0.1:" + hpB); err != nil || !strings.Contains(got, epB.IP.Addr().String()+":80") {
		t.Errorf("127.0.0.1:%s -> B: %q %v", hpB, got, err)
	}
	hpBu := hostPort(t, epB, "53/udp")
	if got, err := udpEcho("127.0.0.1:"+hpBu, "ping"); err != nil || got != "echo:ping" {
		t.Errorf("udp 127.0.0.1:%s -> B: %q %v", hpBu, got, err)
	}
	// Hairpin: B reaches its own published port through the gateway, and
	// the connection is masqueraded so the reply finds its way back.
	if out, err := inNS(nsB, "busybox", "nc", "-w", "2", gw.String(), hpB); err != nil || !strings.Contains(out, "hello from "+epB.IP.Addr().String()) {
		t.Errorf("hairpin B -> %s:%s: %v %q", gw, hpB, err, out)
	}
	// A binding on 127.0.0.1 only must not answer on the gateway address.
	if out, err := inNS(nsB, "busybox", "nc", "-w", "1", gw.String(), hpA); err == nil && strings.Contains(out, "hello") {
		t.Errorf("127.0.0.1-only binding answered on %s: %q", gw, out)
	}

	// Conflict: Docker's message, and a full rollback.
	idC := "ctr-c-" + h.suffix
	nsC := h.netns("c")
	_, err = m.Attach(ctx, AttachRequest{ContainerID: idC, NetNSPath: nsC,
		PortBindings: network.PortMap{p80: {{HostPort: hpB}}}})
	var pae *PortAllocatedError
	if !errors.As(err, &pae) || err.Error() != "Bind for 0.0.0.0:"+hpB+" failed: port is already allocated" {
		t.Fatalf("conflict: %v", err)
	}
	h.assertNoEndpoint(m, idC)

	// Endpoint is reported, and survives a daemon restart (Close + New).
	if got, err := m.Endpoint(idB); err != nil || got.IP != epB.IP || hostPort(t, got, "53/udp") != hpBu {
		t.Fatalf("Endpoint(B): %+v %v", got, err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	m = h.newManager()
	t.Cleanup(func() {
		if err := m.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		h.assertClean()
	})
	if got, err := m.Endpoint(idA); err != nil || got.IP != epA.IP {
		t.Fatalf("Endpoint(A) after restart: %+v %v", got, err)
	}
	if got, err := tcpHello("127.0.0.1:" + hpA); err != nil || !strings.Contains(got, epA.IP.Addr().String()) {
		t.Errorf("after restart 127.0.0.1:%s -> A: %q %v", hpA, got, err)
	}
	// The restored reservation still blocks others.
	if _, err := m.Attach(ctx, AttachRequest{ContainerID: idC, NetNSPath: nsC,
		PortBindings: network.PortMap{p80: {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: hpA}}}}); !errors.As(err, &pae) {
		t.Fatalf("conflict after restart: %v", err)
	}
	h.assertNoEndpoint(m, idC)

	// Detach: veth, rules, port and address gone; idempotent.
	if err := m.DetachAll(ctx, idA); err != nil {
		t.Fatal(err)
	}
	if err := m.DetachAll(ctx, idA); err != nil {
		t.Fatalf("second detach: %v", err)
	}
	if _, err := tcpHello("127.0.0.1:" + hpA); err == nil {
		t.Error("port still published after Detach")
	}
	if out, _ := exec.Command("nft", "list", "table", "inet", h.cfg.NftTable).Output(); strings.Contains(string(out), epA.IP.Addr().String()+" ") {
		t.Errorf("rule for A left:\n%s", out)
	}
	// The freed host port can be taken again, and the address is not reused at once.
	epC, err := m.Attach(ctx, AttachRequest{ContainerID: idC, NetNSPath: nsC,
		PortBindings: network.PortMap{p80: {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: hpA}}}})
	if err != nil {
		t.Fatalf("attach C on freed port: %v", err)
	}
	if epC.IP == epA.IP || epC.IP == epB.IP {
		t.Errorf("address handed out twice: C %v", epC.IP)
	}
	m.def.drv.wait()
	if !linkExists(epC.HostVeth) || linkExists(epA.HostVeth) {
		t.Errorf("veths: C %s exists=%v, A %s exists=%v", epC.HostVeth, linkExists(epC.HostVeth), epA.HostVeth, linkExists(epA.HostVeth))
	}
	for _, id := range []string{idB, idC} {
		if err := m.DetachAll(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
}

func (h *harness) assertNoEndpoint(m *Manager, id string) {
	h.t.Helper()
	if _, err := m.Endpoint(id); !errdefs.IsNotFound(err) {
		h.t.Errorf("endpoint %s exists after failed attach: %v", id, err)
	}
	if m.def != nil {
		m.def.drv.wait()
	}
	if linkExists(hostVethName(id)) {
		h.t.Errorf("veth %s left after failed attach", hostVethName(id))
	}
	m.cfg.DB.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(ipamBucket); b != nil {
			if nb := b.Bucket([]byte(DefaultNetworkName)); nb != nil {
				nb.ForEach(func(k, v []byte) error {
					if string(v) == id {
						h.t.Errorf("address %s still allocated to %s", k, id)
					}
					return nil
				})
			}
		}
		return nil
	})
}

func linkExists(name string) bool {
	_, err := net.InterfaceByName(name)
	return err == nil
}

func udpEcho(addr, msg string) (string, error) { return udpEchoNet("udp4", addr, msg) }

func udpEchoNet(netw, addr, msg string) (string, error) {
	conn, err := net.Dial(netw, addr)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	buf := make([]byte, 100)
	for i := 0; i < 3; i++ {
		conn.Write([]byte(msg))
		conn.SetReadDeadline(time.Now().Add(time.Second))
		n, err := conn.Read(buf)
		if err == nil {
			return string(buf[:n]), nil
		}
	}
	return "", io.ErrNoProgress
}

func TestAttachRollbackOnJoinFailure(t *testing.T) {
	h := newHarness(t)
	m := h.newManager()
	ctx := context.Background()
	t.Cleanup(func() {
		if err := m.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		h.assertClean()
	})
	id := "ctr-bad-" + h.suffix
	_, err := m.Attach(ctx, AttachRequest{ContainerID: id, NetNSPath: filepath.Join(h.dir, "missing-netns"),
		PortBindings: network.PortMap{network.MustParsePort("80/tcp"): {{HostIP: netip.MustParseAddr("127.0.0.1")}}}})
	if err == nil {
		t.Fatal("attach into a missing namespace succeeded")
	}
	h.assertNoEndpoint(m, id)
	m.ports.mu.Lock()
	held := len(m.ports.held)
	m.ports.mu.Unlock()
	if held != 0 {
		t.Errorf("%d host ports still reserved after rollback", held)
	}
	if out, _ := exec.Command("nft", "list", "table", "inet", h.cfg.NftTable).Output(); hasMapElements(string(out)) {
		t.Errorf("elements left after rollback:\n%s", out)
	}
}

func TestConcurrentAttach(t *testing.T) {
	h := newHarness(t)
	m := h.newManager()
	ctx := context.Background()
	t.Cleanup(func() {
		if err := m.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		h.assertClean()
	})
	const n = 4
	nss := make([]string, n)
	for i := range nss {
		nss[i] = h.netns(fmt.Sprint("c", i))
	}
	type res struct {
		ep  *Endpoint
		err error
	}
	results := make(chan res, n)
	for i := 0; i < n; i++ {
		go func(i int) {
			ep, err := m.Attach(ctx, AttachRequest{ContainerID: fmt.Sprint("cc", i, h.suffix), NetNSPath: nss[i],
				PortBindings: network.PortMap{network.MustParsePort("80/tcp"): nil, network.MustParsePort("80/udp"): nil}})
			results <- res{ep, err}
		}(i)
	}
	ips, ports := map[netip.Addr]bool{}, map[string]bool{}
	for i := 0; i < n; i++ {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
		if ips[r.ep.IP.Addr()] {
			t.Errorf("address %v handed out twice", r.ep.IP)
		}
		ips[r.ep.IP.Addr()] = true
		for p, bs := range r.ep.Ports {
			for _, b := range bs {
				k := string(p.Proto()) + "/" + b.HostPort
				if ports[k] {
					t.Errorf("host port %s handed out twice", k)
				}
				ports[k] = true
			}
		}
	}
	for i := 0; i < n; i++ {
		if err := m.DetachAll(ctx, fmt.Sprint("cc", i, h.suffix)); err != nil {
			t.Error(err)
		}
	}
}

// hasMapElements reports whether a table listing has DNAT map elements.
func hasMapElements(listing string) bool {
	for _, l := range strings.Split(listing, "\n") {
		if strings.Contains(l, "elements = ") && strings.Contains(l, " : ") {
			return true
		}
	}
	return false
}
