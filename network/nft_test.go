package network

import (
	"flag"
	"net/netip"
	"os"
	"path/filepath"
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
		{"table_empty.nft", tableSpec{Table: "berth", Networks: []netRules{{Bridge: "berth0", Subnet: netip.MustParsePrefix("172.30.0.0/16")}}}},
		{"table_ports.nft", tableSpec{Table: "berth", Networks: []netRules{{Bridge: "berth0", Subnet: netip.MustParsePrefix("172.30.0.0/16")}}, Ports: samplePorts}},
		{"table_nobridge.nft", tableSpec{Table: "berth"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { golden(t, tt.name, renderTable(tt.spec)) })
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
