package network

import (
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"testing"

	"github.com/berth-project/berth/internal/testutil"
)

// TestDaemonNetworkFlags: --mtu, --fixed-cidr, --default-address-pools,
// --ipv6 --fixed-cidr-v6 on the default bridge, and the admin chain
// BERTH-USER surviving a daemon restart.
func TestDaemonNetworkFlags(t *testing.T) {
	testutil.RequireRoot(t)
	_, prefix := subnet()
	b := []byte(uniq(""))
	v6 := fmt.Sprintf("fd00:%s:%s::/64", b[0:4], b[2:6])
	poolBase := prefix[:strings.LastIndex(prefix, ".")] + ".0.0/16"
	d := testutil.Start(t, "--mtu", "1400", "--default-address-pools", "base="+poolBase+",size=24",
		"--ipv6", "--fixed-cidr-v6", v6)
	t.Cleanup(func() {
		if err := d.Stop(); err != nil {
			t.Error(err)
		}
	})
	d.LoadBusybox(t)
	run := d.Run

	out := must(t, run, "run", "--rm", "busybox", "cat", "/sys/class/net/eth0/mtu")
	if strings.TrimSpace(out) != "1400" {
		t.Fatalf("--mtu 1400: eth0 mtu %q", out)
	}
	out = must(t, run, "run", "--rm", "busybox", "ip", "-o", "-6", "addr", "show", "eth0", "scope", "global")
	f := strings.Fields(out)
	if len(f) < 4 {
		t.Fatalf("--ipv6 --fixed-cidr-v6: no global v6 address:\n%s", out)
	}
	if a, err := netip.ParsePrefix(f[3]); err != nil || !netip.MustParsePrefix(v6).Contains(a.Addr()) {
		t.Fatalf("default bridge v6 address %q not in %s", f[3], v6)
	}

	n := uniq("pool")
	netCreate(t, run, n)
	sub := strings.TrimSpace(must(t, run, "network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}}{{end}}", n))
	p, err := netip.ParsePrefix(sub)
	if err != nil || p.Bits() != 24 || !netip.MustParsePrefix(poolBase).Contains(p.Addr()) {
		t.Fatalf("--default-address-pools %s size 24: network got %q", poolBase, sub)
	}

	// Admin rules in BERTH-USER outlive a restart.
	table := "berth_" + d.Bridge
	rule := "ip saddr 192.0.2.77 counter drop"
	if out, err := exec.Command("nft", "add", "rule", "inet", table, "BERTH-USER", "ip", "saddr", "192.0.2.77", "counter", "drop").CombinedOutput(); err != nil {
		t.Fatalf("add admin rule: %v\n%s", err, out)
	}
	if err := d.Restart(); err != nil {
		t.Fatalf("restart: %v\n%s", err, d.Log())
	}
	out2, err := exec.Command("nft", "list", "chain", "inet", table, "BERTH-USER").CombinedOutput()
	if err != nil || !strings.Contains(string(out2), "192.0.2.77") {
		t.Fatalf("admin rule %q gone after restart: %v\n%s", rule, err, out2)
	}
}

// TestIPTablesFalse: --iptables=false installs no rules at all.
func TestIPTablesFalse(t *testing.T) {
	testutil.RequireRoot(t)
	d := testutil.Start(t, "--iptables=false")
	t.Cleanup(func() {
		if err := d.Stop(); err != nil {
			t.Error(err)
		}
	})
	d.LoadBusybox(t)
	must(t, d.Run, "run", "--rm", "-p", "127.0.0.1::80", "busybox", "true")
	out, _ := exec.Command("nft", "list", "tables").CombinedOutput()
	if strings.Contains(string(out), "berth_"+d.Bridge) {
		t.Fatalf("--iptables=false: our table exists:\n%s", out)
	}
}
