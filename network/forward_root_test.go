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
	for _, args := range [][]string{{"ip", "link", "set", "lo", "up"}, {"iptables", "-P", "FORWARD", "DROP"}, {"ip6tables", "-P", "FORWARD", "DROP"}} {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v %s", args, err, out)
		}
	}
	h := newHarness(t)
	h.cfg.IPv6, h.cfg.FixedCIDRv6 = true, "fd00:bf::/64"
	m := h.newManager()
	ctx := context.Background()
	chain := forwardChain(h.cfg.NftTable)
	for _, bin := range xtables {
		if _, jumped, err := forwardState(ctx, bin, chain); err != nil || !jumped {
			t.Fatalf("%s: no FORWARD jump installed under a drop policy: %v", bin, err)
		}
	}
	// Refreshing must not add a second jump.
	if _, err := ensureForward(ctx, chain, m.bridges()); err != nil {
		t.Fatal(err)
	}
	for _, bin := range xtables {
		if out, _ := iptables(ctx, bin, "-S", "FORWARD"); strings.Count(out, "-j "+chain) != 1 {
			t.Fatalf("%s: jump count != 1:\n%s", bin, out)
		}
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
	if err := ping(nsA, epB.IPv6.Addr()); err != nil {
		t.Errorf("ping6 A->B under ip6tables FORWARD DROP: %v", err)
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
	for _, bin := range xtables {
		if out, _ := iptables(ctx, bin, "-S", "FORWARD"); strings.Contains(out, chain) {
			t.Errorf("%s: jump left after Shutdown:\n%s", bin, out)
		}
	}
}
