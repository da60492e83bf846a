package network

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/api/types/network"
	"github.com/vishvananda/netns"
)

// serveTaskIn runs a fake task inside the namespace: TCP :80 writes its
// name and closes, TCP :81 writes its name and then echoes lines (a
// connection that stays open), UDP :53 answers every datagram with its
// name.
func serveTaskIn(t *testing.T, nsPath, name string) {
	t.Helper()
	type res struct {
		l80, l81 net.Listener
		pc       net.PacketConn
		err      error
	}
	c := make(chan res, 1)
	go func() {
		// The thread stays in the namespace and is discarded.
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
		var r res
		r.l80, err = net.Listen("tcp4", ":80")
		if err == nil {
			r.l81, err = net.Listen("tcp4", ":81")
		}
		if err == nil {
			r.pc, err = net.ListenPacket("udp4", ":53")
		}
		r.err = err
		c <- r
	}()
	r := <-c
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { r.l80.Close(); r.l81.Close(); r.pc.Close() })
	go func() {
		for {
			conn, err := r.l80.Accept()
			if err != nil {
				return
			}
			fmt.Fprintln(conn, name)
			conn.Close()
		}
	}()
	go func() {
		for {
			conn, err := r.l81.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				fmt.Fprintln(conn, name)
				sc := bufio.NewScanner(conn)
				for sc.Scan() {
					fmt.Fprintln(conn, sc.Text())
				}
			}()
		}
	}()
	go func() {
		buf := make([]byte, 1500)
		for {
			_, from, err := r.pc.ReadFrom(buf)
			if err != nil {
				return
			}
			r.pc.WriteTo([]byte(name), from)
		}
	}()
}

// freePort is a port free for both TCP and UDP on all host addresses at
// the time of the call.
func freePort(t *testing.T) uint16 {
	t.Helper()
	for i := 0; i < 20; i++ {
		l, err := net.Listen("tcp4", "0.0.0.0:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp4", "0.0.0.0:"+strconv.Itoa(port))
		l.Close()
		if err == nil {
			pc.Close()
			return uint16(port)
		}
	}
	t.Fatal("no port free for both tcp and udp")
	return 0
}

// spread makes n connections to addr and counts the answering tasks.
func spread(t *testing.T, addr string, n int) map[string]int {
	t.Helper()
	got := map[string]int{}
	for i := 0; i < n; i++ {
		name, err := tcpHello(addr)
		if err != nil {
			t.Fatalf("connection %d to %s: %v", i, addr, err)
		}
		got[name]++
	}
	return got
}

// longConn opens a connection to a :81 task and returns it with the
// task's name.
func longConn(t *testing.T, addr string) (net.Conn, *bufio.Reader, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp4", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r := bufio.NewReader(c)
	c.SetDeadline(time.Now().Add(2 * time.Second))
	name, err := r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return c, r, strings.TrimSpace(name)
}

func assertEcho(t *testing.T, c net.Conn, r *bufio.Reader, msg string) {
	t.Helper()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := fmt.Fprintln(c, msg); err != nil {
		t.Fatalf("open connection broken (%s): %v", msg, err)
	}
	if got, err := r.ReadString('\n'); err != nil || strings.TrimSpace(got) != msg {
		t.Fatalf("open connection broken (%s): %q %v", msg, got, err)
	}
}

func assertRefused(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp4", addr, 2*time.Second)
	if err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections", addr)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("%s: %v, want connection refused", addr, err)
	}
}

func ingressHeld(m *Manager, proto string, port uint16) bool {
	m.ports.mu.Lock()
	defer m.ports.mu.Unlock()
	_, ok := m.ports.held[portKey{proto, netip.Addr{}, port}]
	return ok
}

// sameAfterRebuild checks that the table the incremental path left is
// the one a full rebuild writes.
func sameAfterRebuild(t *testing.T, h *harness, m *Manager, what string) {
	t.Helper()
	before := chainRules(t, h.cfg.NftTable)
	m.mu.Lock()
	err := m.syncTable(context.Background())
	m.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	full := chainRules(t, h.cfg.NftTable)
	if !maps.EqualFunc(before, full, slices.Equal[[]string]) {
		t.Errorf("%s: incremental\n%v\nfull rebuild\n%v", what, before, full)
	}
}

func ingressChainRules(t *testing.T, h *harness) []string {
	t.Helper()
	return chainRules(t, h.cfg.NftTable)[ingressChain]
}

// TestIngressLoadBalancing: one host port spread over three tasks, from
// the host (127.0.0.1 and the bridge address) and from a container;
// backends come and go without breaking open connections; conflicts
// change nothing; nothing is left behind.
func TestIngressLoadBalancing(t *testing.T) {
	h, m := userNetHarness(t)
	ctx := context.Background()
	_, gw, _ := m.Gateway()

	var backends []netip.Addr
	names := map[string]netip.Addr{}
	ids := map[string]string{}
	for i := 0; i < 3; i++ {
		name := fmt.Sprintf("task%d", i)
		ns := h.netns(name)
		ids[name] = "ing-" + name + "-" + h.suffix
		ep, err := m.Attach(ctx, AttachRequest{ContainerID: ids[name], NetNSPath: ns})
		if err != nil {
			t.Fatal(err)
		}
		serveTaskIn(t, ns, name)
		backends = append(backends, ep.IP.Addr())
		names[name] = ep.IP.Addr()
	}
	clientNS := h.netns("client")
	clientID := "ing-client-" + h.suffix
	if _, err := m.Attach(ctx, AttachRequest{ContainerID: clientID, NetNSPath: clientNS}); err != nil {
		t.Fatal(err)
	}
	pub, pub2 := freePort(t), freePort(t)
	if pub == pub2 {
		t.Skip("the kernel handed out the same free port twice")
	}
	ports := []IngressPort{{"tcp", pub, 80}, {"tcp", pub2, 81}, {"udp", pub, 53}}
	svc := "web-" + h.suffix
	lb := func(p uint16) string { return fmt.Sprintf("127.0.0.1:%d", p) }

	// Two tasks, a connection that stays open, then the third task.
	for _, b := range backends[:2] {
		start := time.Now()
		if err := m.AddIngressBackend(ctx, svc, ports, b); err != nil {
			t.Fatal(err)
		}
		t.Logf("AddIngressBackend took %v", time.Since(start))
	}
	for _, p := range ports {
		if !ingressHeld(m, p.Proto, p.Published) {
			t.Errorf("%d/%s not reserved", p.Published, p.Proto)
		}
	}
	long, longR, longName := longConn(t, lb(pub2))
	if err := m.AddIngressBackend(ctx, svc, ports, backends[2]); err != nil {
		t.Fatal(err)
	}
	// Adding the same backend again changes nothing.
	if err := m.AddIngressBackend(ctx, svc, ports, backends[2]); err != nil {
		t.Fatal(err)
	}
	assertEcho(t, long, longR, "after add")

	for _, addr := range []string{"127.0.0.1", gw.String()} {
		got := spread(t, fmt.Sprintf("%s:%d", addr, pub), 30)
		t.Logf("30 connections to %s:%d: %v", addr, pub, got)
		for name := range names {
			if got[name] < 5 {
				t.Errorf("%s:%d: %s got %d of 30 connections: %v", addr, pub, name, got[name], got)
			}
		}
	}
	// From a container on the bridge: prerouting, and hairpin when it
	// lands on a task on the same bridge.
	seen := map[string]int{}
	for i := 0; i < 6; i++ {
		out, err := inNS(clientNS, "busybox", "nc", "-w", "2", gw.String(), strconv.Itoa(int(pub)))
		if err != nil {
			t.Fatalf("nc from a container: %v %q", err, out)
		}
		seen[strings.TrimSpace(out)]++
	}
	if len(seen) != 3 {
		t.Errorf("6 connections from a container reached %v, want all 3 tasks", seen)
	}
	seen = map[string]int{}
	for i := 0; i < 9; i++ {
		got, err := udpEcho(lb(pub), "who")
		if err != nil {
			t.Fatalf("udp flow %d: %v", i, err)
		}
		seen[got]++
	}
	if len(seen) != 3 {
		t.Errorf("9 UDP flows reached %v, want all 3 tasks", seen)
	}
	if r := ingressChainRules(t, h); len(r) != 3 || !strings.Contains(r[0], "numgen inc mod 3") {
		t.Errorf("ingress chain: %v", r)
	}
	sameAfterRebuild(t, h, m, "three backends")

	// Remove a task other than the one holding the open connection.
	removed := "task0"
	if longName == removed {
		removed = "task1"
	}
	if err := m.RemoveIngressBackend(ctx, svc, names[removed]); err != nil {
		t.Fatal(err)
	}
	if err := m.RemoveIngressBackend(ctx, svc, names[removed]); err != nil {
		t.Fatalf("removing twice: %v", err)
	}
	assertEcho(t, long, longR, "after remove")
	got := spread(t, lb(pub), 30)
	if got[removed] != 0 || len(got) != 2 {
		t.Errorf("after removing %s: %v", removed, got)
	}
	sameAfterRebuild(t, h, m, "two backends")

	// Conflicts. A container's -p on the service's port:
	var pae *PortAllocatedError
	conflictNS := h.netns("conflict")
	conflictID := "ing-conflict-" + h.suffix
	_, err := m.Attach(ctx, AttachRequest{ContainerID: conflictID, NetNSPath: conflictNS,
		PortBindings: network.PortMap{network.MustParsePort("80/tcp"): {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: strconv.Itoa(int(pub))}}}})
	if !errors.As(err, &pae) || err.Error() != fmt.Sprintf("Bind for 127.0.0.1:%d failed: port is already allocated", pub) {
		t.Fatalf("container -p on an ingress port: %v", err)
	}
	h.assertNoEndpoint(m, conflictID)
	// Another service with one free port and one taken: nothing of it
	// is written, its free port is not held.
	free := freePort(t)
	err = m.AddIngressBackend(ctx, "other", []IngressPort{{"tcp", free, 80}, {"tcp", pub, 80}}, backends[0])
	if !errors.As(err, &pae) || err.Error() != fmt.Sprintf("Bind for 0.0.0.0:%d failed: port is already allocated", pub) {
		t.Fatalf("second service on an ingress port: %v", err)
	}
	if ingressHeld(m, "tcp", free) || strings.Contains(strings.Join(ingressChainRules(t, h), "\n"), "other") {
		t.Errorf("failed service left state: held %v, rules %v", ingressHeld(m, "tcp", free), ingressChainRules(t, h))
	}
	// A service on a container's published port.
	ep, err := m.Attach(ctx, AttachRequest{ContainerID: conflictID, NetNSPath: conflictNS,
		PortBindings: network.PortMap{network.MustParsePort("80/tcp"): {{HostIP: netip.MustParseAddr("127.0.0.1")}}}})
	if err != nil {
		t.Fatal(err)
	}
	hp, _ := strconv.Atoi(hostPort(t, ep, "80/tcp"))
	err = m.AddIngressBackend(ctx, "other", []IngressPort{{"tcp", uint16(hp), 80}}, backends[0])
	if !errors.As(err, &pae) || err.Error() != fmt.Sprintf("Bind for 0.0.0.0:%d failed: port is already allocated", hp) {
		t.Fatalf("service on a container's port: %v", err)
	}
	if err := m.DetachAll(ctx, conflictID); err != nil {
		t.Fatal(err)
	}
	if r := ingressChainRules(t, h); len(r) != 3 {
		t.Errorf("ingress chain after refused services: %v", r)
	}

	// The last backends gone: ports closed, chain empty, nothing held.
	long.Close()
	for name, b := range names {
		if name != removed {
			if err := m.RemoveIngressBackend(ctx, svc, b); err != nil {
				t.Fatal(err)
			}
		}
	}
	assertRefused(t, lb(pub))
	assertRefused(t, lb(pub2))
	if r := ingressChainRules(t, h); len(r) != 0 {
		t.Errorf("rules left: %v", r)
	}
	for _, p := range ports {
		if ingressHeld(m, p.Proto, p.Published) {
			t.Errorf("%d/%s still reserved", p.Published, p.Proto)
		}
	}
	if listing := nftList(t, "inet", h.cfg.NftTable); strings.Contains(listing, "dport "+strconv.Itoa(int(pub))) {
		t.Errorf("port %d still in the table:\n%s", pub, listing)
	}
	sameAfterRebuild(t, h, m, "no backend")

	// A task's endpoint detached: it leaves the service with it.
	if err := m.AddIngressBackend(ctx, svc, ports, names["task0"]); err != nil {
		t.Fatal(err)
	}
	if got, err := tcpHello(lb(pub)); err != nil || got != "task0" {
		t.Fatalf("single backend: %q %v", got, err)
	}
	if err := m.DetachAll(ctx, ids["task0"]); err != nil {
		t.Fatal(err)
	}
	assertRefused(t, lb(pub))
	if r := ingressChainRules(t, h); len(r) != 0 {
		t.Errorf("rules left after detach: %v", r)
	}

	// A daemon restart drops ingress entries: the executor re-adds them.
	if err := m.AddIngressBackend(ctx, svc, ports, names["task1"]); err != nil {
		t.Fatal(err)
	}
	m = h.restart()
	assertRefused(t, lb(pub))
	if r := ingressChainRules(t, h); len(r) != 0 || ingressHeld(m, "tcp", pub) {
		t.Errorf("ingress state after restart: rules %v", r)
	}
	if err := m.AddIngressBackend(ctx, svc, ports, names["task1"]); err != nil {
		t.Fatalf("re-adding after restart: %v", err)
	}
	if got, err := tcpHello(lb(pub)); err != nil || got != "task1" {
		t.Fatalf("after restart: %q %v", got, err)
	}
	for _, id := range []string{ids["task1"], ids["task2"], clientID} {
		if err := m.DetachAll(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if r := ingressChainRules(t, h); len(r) != 0 || ingressHeld(m, "tcp", pub) {
		t.Errorf("ingress state after detaching every task: %v", r)
	}
}

// TestIngressPortsUpdate: a changed port list (service update) opens the
// new ports and closes the dropped ones, backends kept.
func TestIngressPortsUpdate(t *testing.T) {
	h, m := userNetHarness(t)
	ctx := context.Background()
	ns := h.netns("task")
	id := "ingu-" + h.suffix
	ep, err := m.Attach(ctx, AttachRequest{ContainerID: id, NetNSPath: ns})
	if err != nil {
		t.Fatal(err)
	}
	serveTaskIn(t, ns, "task")
	a, b := freePort(t), freePort(t)
	if a == b {
		t.Skip("the kernel handed out the same free port twice")
	}
	svc := "upd-" + h.suffix
	if err := m.AddIngressBackend(ctx, svc, []IngressPort{{"tcp", a, 80}}, ep.IP.Addr()); err != nil {
		t.Fatal(err)
	}
	if got, err := tcpHello(fmt.Sprintf("127.0.0.1:%d", a)); err != nil || got != "task" {
		t.Fatalf("port %d: %q %v", a, got, err)
	}
	if err := m.AddIngressBackend(ctx, svc, []IngressPort{{"tcp", b, 80}}, ep.IP.Addr()); err != nil {
		t.Fatal(err)
	}
	assertRefused(t, fmt.Sprintf("127.0.0.1:%d", a))
	if got, err := tcpHello(fmt.Sprintf("127.0.0.1:%d", b)); err != nil || got != "task" {
		t.Fatalf("port %d after update: %q %v", b, got, err)
	}
	if ingressHeld(m, "tcp", a) || !ingressHeld(m, "tcp", b) {
		t.Errorf("reservations after update: %d held %v, %d held %v", a, ingressHeld(m, "tcp", a), b, ingressHeld(m, "tcp", b))
	}
	sameAfterRebuild(t, h, m, "after update")
	if err := m.RemoveIngressBackend(ctx, svc, ep.IP.Addr()); err != nil {
		t.Fatal(err)
	}
	assertRefused(t, fmt.Sprintf("127.0.0.1:%d", b))
	if err := m.DetachAll(ctx, id); err != nil {
		t.Fatal(err)
	}
}
