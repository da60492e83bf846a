package network

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/network"
	bolt "go.etcd.io/bbolt"
)

// TestCreateAttachRemoveCycles runs 100 create/attach/detach/remove cycles
// and checks that no device, rule, port or IPAM entry is left.
func TestCreateAttachRemoveCycles(t *testing.T) {
	h, m := userNetHarness(t)
	ctx := context.Background()
	ns := h.netns("cyc")
	start := time.Now()
	const cycles = 100
	var ours []string // every device the cycles created
	for i := 0; i < cycles; i++ {
		n, err := m.CreateNetwork(ctx, CreateOptions{Name: fmt.Sprint("cyc", i, h.suffix)})
		if err != nil {
			t.Fatalf("cycle %d: create: %v", i, err)
		}
		id := fmt.Sprint("cycctr", i, h.suffix)
		ep, err := m.Attach(ctx, AttachRequest{ContainerID: id, ContainerName: "c", NetNSPath: ns, Network: n.ID,
			PortBindings: network.PortMap{network.MustParsePort("80/tcp"): nil}})
		if err != nil {
			t.Fatalf("cycle %d: attach: %v", i, err)
		}
		ours = append(ours, ep.HostVeth, userBridgePrefix+n.ID[:12])
		if err := m.Detach(ctx, id, n.Name); err != nil {
			t.Fatalf("cycle %d: detach: %v", i, err)
		}
		m.nets[n.ID].drv.wait()
		if err := m.RemoveNetwork(ctx, n.ID); err != nil {
			t.Fatalf("cycle %d: rm: %v", i, err)
		}
	}
	t.Logf("%d create/attach/detach/rm cycles: %v (%v each)", cycles, time.Since(start), time.Since(start)/cycles)
	// Other processes (other daemons' tests) add links meanwhile: look
	// for ours only.
	for _, name := range ours {
		if linkExists(name) {
			t.Errorf("device %s left", name)
		}
	}
	if out, _ := inNS(ns, "ip", "-o", "link"); strings.Contains(out, "eth") {
		t.Errorf("interfaces left in the namespace:\n%s", out)
	}
	if out := nftList(t, "inet", h.cfg.NftTable); strings.Contains(out, "bb-") || hasMapElements(out) {
		t.Errorf("rules left:\n%s", out)
	}
	m.ports.mu.Lock()
	held := len(m.ports.held)
	m.ports.mu.Unlock()
	if held != 0 || len(m.eps) != 0 || len(m.Networks()) != 3 {
		t.Errorf("left: %d ports, %d endpoints, %d networks", held, len(m.eps), len(m.Networks()))
	}
	m.cfg.DB.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(ipamBucket); b != nil {
			b.ForEachBucket(func(k []byte) error {
				if string(k) != DefaultNetworkName {
					t.Errorf("IPAM bucket %s left", k)
				}
				return nil
			})
		}
		if b := tx.Bucket(endpointBucket); b != nil && b.Stats().KeyN > 0 {
			t.Errorf("%d endpoint records left", b.Stats().KeyN)
		}
		return nil
	})
}

// TestUserChainKept: the admin's rules in the user chain survive re-renders
// (network create), a restart, and a Shutdown that deletes our table.
func TestUserChainKept(t *testing.T) {
	h, m := userNetHarness(t)
	ctx := context.Background()
	rule := `ip saddr 192.0.2.77 counter drop comment "admin rule"`
	if err := nftApply(ctx, fmt.Sprintf("add rule inet %s %s %s\n", h.cfg.NftTable, UserChain, rule)); err != nil {
		t.Fatal(err)
	}
	has := func(when string) {
		t.Helper()
		if out := nftList(t, "inet", h.cfg.NftTable); !strings.Contains(out, `ip saddr 192.0.2.77 counter packets 0 bytes 0 drop comment "admin rule"`) {
			t.Errorf("%s: user rule missing:\n%s", when, out)
		}
	}
	n, err := m.CreateNetwork(ctx, CreateOptions{Name: "uc" + h.suffix})
	if err != nil {
		t.Fatal(err)
	}
	has("after network create")
	m = h.restart()
	has("after restart")
	if err := m.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if out := nftList(t, "inet", h.cfg.NftTable); out != "" {
		t.Fatalf("table left after Shutdown:\n%s", out)
	}
	if data, err := os.ReadFile(filepath.Join(h.cfg.StateDir, userRulesFile)); err != nil || !strings.Contains(string(data), "192.0.2.77") {
		t.Fatalf("saved rules: %q %v", data, err)
	}
	h.cur = h.newManager()
	m = h.cur
	has("after Shutdown and New")
	// The network's bridge came back too.
	if got, err := m.GetNetwork(n.ID); err != nil || !linkExists(userBridgePrefix+got.ID[:12]) {
		t.Errorf("network after Shutdown+New: %+v %v", got, err)
	}
	if err := m.RemoveNetwork(ctx, n.ID); err != nil {
		t.Fatal(err)
	}
}

// TestNewIsIdempotent: New on a running state (a crashed daemon) adopts
// the devices and rules instead of failing or duplicating them.
func TestNewIsIdempotent(t *testing.T) {
	h, m := userNetHarness(t)
	ctx := context.Background()
	n, err := m.CreateNetwork(ctx, CreateOptions{Name: "idem" + h.suffix})
	if err != nil {
		t.Fatal(err)
	}
	ns := h.netns("idem")
	ep, err := m.Attach(ctx, AttachRequest{ContainerID: "idem" + h.suffix, NetNSPath: ns, Network: n.Name,
		PortBindings: network.PortMap{network.MustParsePort("80/tcp"): {{HostIP: netip.IPv6Loopback()}}}})
	if err != nil {
		t.Fatal(err)
	}
	listenIn(t, ns, "tcp", ":80")
	hp := hostPort(t, ep, "80/tcp")
	before := nftList(t, "inet", h.cfg.NftTable)
	m = h.restart()
	m = h.restart()
	if after := nftList(t, "inet", h.cfg.NftTable); after != before {
		t.Errorf("rules changed across restarts:\n--- before\n%s\n--- after\n%s", before, after)
	}
	if err := ping(ns, ep.Gateway); err != nil {
		t.Errorf("after restarts: %v", err)
	}
	// The [::1] userland proxy is back too.
	if got, err := tcpHello6("[::1]:" + hp); err != nil || !strings.Contains(got, ep.IP.Addr().String()) {
		t.Errorf("[::1]:%s after restarts: %q %v", hp, got, err)
	}
	if err := m.DetachAll(ctx, "idem"+h.suffix); err != nil {
		t.Fatal(err)
	}
}
