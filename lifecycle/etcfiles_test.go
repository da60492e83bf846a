package lifecycle

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/berth-project/berth/container"
	"github.com/moby/moby/api/types/network"
)

func TestHostsEntries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hosts")
	base := "127.0.0.1\tlocalhost\n172.17.0.2\tabc\n"
	if err := os.WriteFile(path, []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(path)
	ep := &container.Endpoint{NetworkName: "n", EndpointSettings: network.EndpointSettings{
		IPAddress: netip.MustParseAddr("10.1.0.3"), GlobalIPv6Address: netip.MustParseAddr("fd00::3")}}
	if err := addHostsEntries(path, "abc", ep); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if want := base + "10.1.0.3\tabc\nfd00::3\tabc\n"; string(got) != want {
		t.Fatalf("after add:\n%q\nwant\n%q", got, want)
	}
	if err := removeHostsEntries(path, ep); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(path)
	if string(got) != base {
		t.Fatalf("after remove:\n%q\nwant\n%q", got, base)
	}
	after, _ := os.Stat(path)
	if !os.SameFile(before, after) {
		t.Fatal("hosts file replaced: a running container's bind mount would keep the old one")
	}
}
