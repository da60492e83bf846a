package network

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// chainRules lists the rules of every chain of the inet table, sorted per
// chain: the incremental path appends where the full render sorts by
// network name, and neither order matters.
func chainRules(t *testing.T, table string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	chain := ""
	for _, l := range strings.Split(nftList(t, "inet", table), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "chain "):
			chain = strings.Fields(l)[1]
		case l == "}" || l == "" || strings.HasPrefix(l, "type ") || chain == "":
		default:
			out[chain] = append(out[chain], l)
		}
	}
	for _, r := range out {
		slices.Sort(r)
	}
	return out
}

// TestIncrementalNetworkRules: network create adds its rules without a
// rebuild; the result is the same rule set a full rebuild writes, and the
// networks work (isolation, internal).
func TestIncrementalNetworkRules(t *testing.T) {
	h, m := userNetHarness(t)
	ctx := context.Background()
	a, b, v6 := h.multiSubnets()
	nets := []CreateOptions{
		{Name: "ia" + h.suffix, IPAM: []IPAMConfig{{Subnet: a.String()}, {Subnet: b.String()}, {Subnet: v6.String()}}},
		{Name: "ib" + h.suffix, Internal: true},
		{Name: "ic" + h.suffix, Internal: true},
		{Name: "id" + h.suffix, Options: map[string]string{OptMasquerade: "false"}},
	}
	var ids []string
	for _, o := range nets {
		n, err := m.CreateNetwork(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, n.ID)
	}
	incremental := chainRules(t, h.cfg.NftTable)
	set, err := exec.Command("nft", "list", "set", "inet", h.cfg.NftTable, "bridges").CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if !strings.Contains(string(set), `"bb-`+id[:12]+`"`) {
			t.Errorf("bridge bb-%s not in the bridges set:\n%s", id[:12], set)
		}
	}
	if len(incremental["input"]) != 6 {
		t.Errorf("input chain after two internal networks: %v", incremental["input"])
	}
	sameAsRebuild := func(what string) {
		t.Helper()
		before := chainRules(t, h.cfg.NftTable)
		m.mu.Lock()
		err := m.syncTable(ctx)
		m.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		full := chainRules(t, h.cfg.NftTable)
		for chain, want := range full {
			if got := before[chain]; !slices.Equal(got, want) {
				t.Errorf("%s, chain %s: incremental\n%s\nfull rebuild\n%s", what, chain, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		}
		for chain, got := range before {
			if _, ok := full[chain]; !ok && len(got) > 0 {
				t.Errorf("%s: chain %s only in the incremental table: %v", what, chain, got)
			}
		}
	}
	sameAsRebuild("after create")
	// Remove one network of each kind, by handle.
	for _, id := range ids[:2] {
		if err := m.RemoveNetwork(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	got := chainRules(t, h.cfg.NftTable)
	if strings.Contains(fmt.Sprint(got), "bb-"+ids[0][:12]) || strings.Contains(fmt.Sprint(got), "bb-"+ids[1][:12]) || len(got["input"]) != 3 {
		t.Errorf("rules after removing two networks: %v", got)
	}
	sameAsRebuild("after rm")
	for _, id := range ids[2:] {
		if err := m.RemoveNetwork(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if got := chainRules(t, h.cfg.NftTable); len(got["input"]) != 0 || strings.Contains(fmt.Sprint(got), "bb-") {
		t.Errorf("rules left after network rm: %v", got)
	}
	if set, _ := exec.Command("nft", "list", "set", "inet", h.cfg.NftTable, "bridges").CombinedOutput(); strings.Contains(string(set), "bb-") {
		t.Errorf("bridges set after network rm:\n%s", set)
	}
}
