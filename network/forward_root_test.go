package network

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/network"
)

// TestForwardDropPolicy runs in a private network namespace (the test
// binary re-executes itself under `unshare --net`), so it can give FORWARD a
// drop policy, as Docker Engine does, without touching the host's rules.
func TestForwardDropPolicy(t *testing.T) {
	needRoot(t)
	if os.Getenv("BERTH_TEST_PRIVATE_NETNS") == "" {
		for _, bin := range []string{"unshare", "iptables", "iptables-restore"} {
			if _, err := exec.LookPath(bin); err != nil {
				t.Skipf("needs %s", bin)
			}
		}
		cmd := exec.Command("unshare", "--net", os.Args[0], "-test.run=^TestForwardDropPolicy$", "-test.v")
		cmd.Env = append(os.Environ(), "BERTH_TEST_PRIVATE_NETNS=1")
		out, err := cmd.CombinedOutput()
		t.Logf("private netns run:\n%s", out)
		if err != nil || !strings.Contains(string(out), "--- PASS: TestForwardDropPolicy") {
			t.Fatalf("private netns run failed: %v", err)
		}
		return
	}
	// In the private namespace: loopback up, FORWARD drops.
	for _, args := range [][]string{{"ip", "link", "set", "lo", "up"}, {"iptables", "-P", "FORWARD", "DROP"}} {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v %s", args, err, out)
		}
	}
	h := newHarness(t)
	m := h.newManager()
	ctx := context.Background()
	chain := forwardChain(h.cfg.NftTable)
	if _, jumped, err := forwardState(ctx, chain); err != nil || !jumped {
		t.Fatalf("no FORWARD jump installed under a drop policy: %v", err)
	}
	// Refreshing must not add a second jump.
	if _, err := ensureForward(ctx, chain, m.bridges()); err != nil {
		t.Fatal(err)
	}
	if out, _ := iptables(ctx, "-S", "FORWARD"); strings.Count(out, "-j "+chain) != 1 {
		t.Fatalf("jump count != 1:\n%s", out)
	}
	nsA, nsB := h.netns("a"), h.netns("b")
	epA, err := m.Attach(ctx, AttachRequest{ContainerID: "fa", NetNSPath: nsA})
	if err != nil {
		t.Fatal(err)
	}
	epB, err := m.Attach(ctx, AttachRequest{ContainerID: "fb", NetNSPath: nsB,
		PortBindings: network.PortMap{network.MustParsePort("80/tcp"): nil}})
	if err != nil {
		t.Fatal(err)
	}
	// Bridged (br_netfilter) container to container.
	if out, err := inNS(nsA, "busybox", "ping", "-c1", "-W2", epB.IP.Addr().String()); err != nil {
		t.Errorf("ping A->B under FORWARD DROP: %v\n%s", err, out)
	}
	// Routed and DNATed: A to B's published port via the gateway.
	listenIn(t, nsB, "tcp", ":80")
	hp := hostPort(t, epB, "80/tcp")
	if out, err := inNS(nsA, "busybox", "nc", "-w", "2", epA.Gateway.String(), hp); err != nil || !strings.Contains(out, "hello from "+epB.IP.Addr().String()) {
		t.Errorf("A -> gateway:%s under FORWARD DROP: %v %q", hp, err, out)
	}
	for _, id := range []string{"fa", "fb"} {
		if err := m.DetachAll(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	h.assertClean()
	if out, _ := iptables(ctx, "-S", "FORWARD"); strings.Contains(out, chain) {
		t.Errorf("jump left after Shutdown:\n%s", out)
	}
}
