package network

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from generated text:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func entry(proto, hostIP string, hostPort, ctrPort uint16, ctrIP string) dnatEntry {
	var hip netip.Addr
	if hostIP != "" {
		hip = netip.MustParseAddr(hostIP)
	}
	return dnatEntry{
		portMapping: portMapping{Proto: proto, HostIP: hip, HostPort: hostPort, CtrPort: ctrPort},
		CtrIP:       netip.MustParseAddr(ctrIP),
	}
}

var samplePorts = []dnatEntry{
	entry("tcp", "", 8080, 80, "172.30.0.2"),
	entry("tcp", "127.0.0.1", 9090, 90, "172.30.0.3"),
	entry("udp", "", 5353, 53, "172.30.0.2"),
	entry("tcp", "", 32768, 443, "172.30.0.3"),
}

func TestRenderTableGolden(t *testing.T) {
	tests := []struct {
		name string
		spec tableSpec
	}{
		{"table_empty.nft", tableSpec{Table: "berth", Networks: []netRules{{Bridge: "berth0", Subnet: netip.MustParsePrefix("172.30.0.0/16"), ICC: true, Masquerade: true}}}},
		{"table_ports.nft", tableSpec{Table: "berth", Networks: []netRules{{Bridge: "berth0", Subnet: netip.MustParsePrefix("172.30.0.0/16"), ICC: true, Masquerade: true}}, Ports: samplePorts}},
		{"table_nobridge.nft", tableSpec{Table: "berth"}},
		{"table_multi.nft", tableSpec{Table: "berth", Networks: []netRules{
			{Bridge: "berth0", Subnet: netip.MustParsePrefix("172.30.0.0/16"), Subnet6: netip.MustParsePrefix("fd00:1::/64"), Masquerade: true},
			{Bridge: "bb-0123456789ab", Subnet: netip.MustParsePrefix("172.31.0.0/24"), ICC: true, Masquerade: false},
			{Bridge: "bb-00112233aabb", Subnet: netip.MustParsePrefix("192.168.210.0/24"), Extra: []netip.Prefix{netip.MustParsePrefix("192.168.212.0/24"), netip.MustParsePrefix("fd00:2::/64")}, ICC: true, Masquerade: true},
			{Bridge: "bb-ba9876543210", Subnet: netip.MustParsePrefix("172.31.1.0/24"), Internal: true, ICC: true, Masquerade: true},
		}, Ports: append(append([]dnatEntry(nil), samplePorts...),
			entry("tcp", "::1", 8080, 80, "fd00:1::2"), entry("udp", "", 5353, 53, "fd00:1::2")),
			NoICCPorts: []string{"vethbt1234567"}, Links: []string{"172.30.0.2 . 172.30.0.3", "172.30.0.3 . 172.30.0.2"},
			UserRules: []string{"ip saddr 192.0.2.1 drop", `iifname "eth9" counter accept comment "admin"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := renderTable(tt.spec)
			golden(t, tt.name, text)
			nftCheck(t, text)
		})
	}
}

// nftCheck has the kernel parse the script without applying it (nft -c),
// when we may: the golden files must be valid rule sets, not just text.
func nftCheck(t *testing.T, script string) {
	t.Helper()
	if os.Getuid() != 0 {
		return
	}
	if _, err := exec.LookPath("nft"); err != nil {
		return
	}
	cmd := exec.Command("nft", "-c", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("nft -c rejects the script: %v\n%s", err, out)
	}
}

func TestParseChainRules(t *testing.T) {
	listing := "table inet berth {\n\tchain BERTH-USER { # handle 7\n\t\tip saddr 192.0.2.1 drop # handle 9\n\t\tiifname \"x\" counter packets 3 bytes 120 accept\n\t}\n}\n"
	got := parseChainRules(listing)
	want := []string{"ip saddr 192.0.2.1 drop", `iifname "x" counter packets 3 bytes 120 accept`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("parseChainRules = %q, want %q", got, want)
	}
	if got := parseChainRules("table inet berth {\n\tchain BERTH-USER {\n\t}\n}\n"); len(got) != 0 {
		t.Errorf("empty chain: %q", got)
	}
}

func TestRenderPortDeltaGolden(t *testing.T) {
	golden(t, "delta_add.nft", renderPortDelta("berth", samplePorts, true))
	golden(t, "delta_delete.nft", renderPortDelta("berth", samplePorts, false))
	if got := renderPortDelta("berth", nil, true); got != "" {
		t.Errorf("no ports should render nothing, got %q", got)
	}
}

func TestRenderForwardRulesGolden(t *testing.T) {
	golden(t, "forward_insert.rules", renderForwardRules("BERTH-FORWARD", []string{"berth0"}, true))
	golden(t, "forward_refresh.rules", renderForwardRules("BERTH-FORWARD", []string{"berth0"}, false))
}

func TestForwardChainName(t *testing.T) {
	tests := []struct{ table, want string }{
		{"berth", "BERTH-FORWARD"},
		{"berth_test_ab12", "BERTH-FWD-berth_test_ab12"},
		{"a_very_long_table_name_indeed_xyz", "BERTH-FWD-a_very_long_table_"},
	}
	for _, tt := range tests {
		if got := forwardChain(tt.table); got != tt.want || len(got) > 28 {
			t.Errorf("forwardChain(%q) = %q, want %q", tt.table, got, tt.want)
		}
	}
}

func TestNetworkRuleHandles(t *testing.T) {
	listing := `table inet berth { # handle 7
	set bridges { # handle 3
		type ifname
		elements = { "br", "br2" }
	}
	chain postrouting { # handle 9
		type nat hook postrouting priority srcnat; policy accept;
		oifname != "br" ip saddr 10.0.0.0/24 masquerade # handle 20
		oifname "br2" ip saddr 127.0.0.0/8 masquerade # handle 21
	}
	chain BERTH-USER { # handle 10
		iifname "br" drop # handle 22
	}
	chain forward { # handle 11
		jump BERTH-USER # handle 23
		oifname "br" iifname @bridges iifname != "br" drop # handle 24
	}
}
`
	got := networkRuleHandles(listing, "br")
	want := map[string][]string{"postrouting": {"20"}, "forward": {"24"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("handles = %v, want %v (the admin's BERTH-USER rule and br2 untouched)", got, want)
	}
	script := renderNetworkRemove("berth", "br", got)
	for _, line := range []string{"delete rule inet berth forward handle 24\n", "delete rule inet berth postrouting handle 20\n", `delete element inet berth bridges { "br" }` + "\n"} {
		if !strings.Contains(script, line) {
			t.Errorf("script lacks %q:\n%s", line, script)
		}
	}
}
