package network

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/network"
	"github.com/vishvananda/netlink"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

func TestLinkSpecs(t *testing.T) {
	mac, _ := net.ParseMAC("02:42:0a:00:00:02")
	mv := macvlanLink("bv1", 7, 1400, "bridge", mac)
	if mv.Type() != "macvlan" || mv.ParentIndex != 7 || mv.MTU != 1400 || mv.Mode != netlink.MACVLAN_MODE_BRIDGE || mv.HardwareAddr.String() != mac.String() || mv.Name != "bv1" {
		t.Errorf("macvlan: %+v", mv)
	}
	for mode, want := range map[string]netlink.MacvlanMode{"private": netlink.MACVLAN_MODE_PRIVATE, "vepa": netlink.MACVLAN_MODE_VEPA, "passthru": netlink.MACVLAN_MODE_PASSTHRU} {
		if got := macvlanLink("x", 1, 0, mode, nil).Mode; got != want {
			t.Errorf("macvlan mode %s = %v", mode, got)
		}
	}
	for mode, want := range map[string]netlink.IPVlanMode{"l2": netlink.IPVLAN_MODE_L2, "l3": netlink.IPVLAN_MODE_L3, "l3s": netlink.IPVLAN_MODE_L3S} {
		iv := ipvlanLink("bv2", 9, 0, mode)
		if iv.Type() != "ipvlan" || iv.ParentIndex != 9 || iv.Mode != want || iv.Flag != netlink.IPVLAN_FLAG_BRIDGE {
			t.Errorf("ipvlan %s: %+v", mode, iv)
		}
	}
	v := vlanLink("eth0.50", 3, 50)
	if v.Type() != "vlan" || v.Name != "eth0.50" || v.ParentIndex != 3 || v.VlanId != 50 || v.VlanProtocol != netlink.VLAN_PROTOCOL_8021Q {
		t.Errorf("vlan: %+v", v)
	}
}

func TestVlanParent(t *testing.T) {
	tests := []struct {
		in   string
		link string
		vid  int
		ok   bool
	}{
		{"eth0.50", "eth0", 50, true},
		{"bond0.4094", "bond0", 4094, true},
		{"eth0", "", 0, false},
		{"eth0.0", "", 0, false},
		{"eth0.4095", "", 0, false},
		{".5", "", 0, false},
		{"br.x", "", 0, false},
	}
	for _, tt := range tests {
		l, v, ok := vlanParent(tt.in)
		if l != tt.link || v != tt.vid || ok != tt.ok {
			t.Errorf("vlanParent(%q) = %q %d %v", tt.in, l, v, ok)
		}
	}
}

func TestKernelFeatureError(t *testing.T) {
	tests := []struct {
		kind string
		err  error
		want string
		ni   bool
	}{
		{"ipvlan", fmt.Errorf("create: %w", unix.EOPNOTSUPP), "ipvlan: the kernel has no ipvlan support (CONFIG_IPVLAN)", true},
		{"vlan", errors.New("operation not supported"), "802.1q: the kernel has no VLAN support (CONFIG_VLAN_8021Q)", true},
		{"ipvlan", unix.EBUSY, "device or resource busy", false},
	}
	for _, tt := range tests {
		err := kernelFeature(tt.kind, tt.err)
		if err.Error() != tt.want || errdefs.IsNotImplemented(err) != tt.ni {
			t.Errorf("kernelFeature(%s, %v) = %v", tt.kind, tt.err, err)
		}
	}
}

func TestParseIPAMConfig(t *testing.T) {
	tests := []struct {
		c       IPAMConfig
		gw      string
		wantErr string
	}{
		{IPAMConfig{Subnet: "10.5.0.0/16"}, "10.5.0.1", ""},
		{IPAMConfig{Subnet: "10.5.0.0/16", Gateway: "10.5.9.9", IPRange: "10.5.1.0/24", AuxAddress: map[string]string{"a": "10.5.0.3"}}, "10.5.9.9", ""},
		{IPAMConfig{Subnet: "fd00:1::/64"}, "fd00:1::1", ""},
		{IPAMConfig{Subnet: "10.5.0.0/16", Gateway: "10.6.0.1"}, "", "no matching subnet for gateway 10.6.0.1"},
		{IPAMConfig{Subnet: "10.5.0.0/16", Gateway: "10.5.255.255"}, "", "network or broadcast address"},
		{IPAMConfig{Subnet: "10.5.0.0/16", IPRange: "10.6.0.0/24"}, "", "no matching subnet for range 10.6.0.0/24"},
		{IPAMConfig{Subnet: "10.5.0.0/16", IPRange: "10.4.0.0/15"}, "", "no matching subnet for range"},
		{IPAMConfig{Subnet: "10.5.0.0/16", AuxAddress: map[string]string{"x": "1.2.3.4"}}, "", "no matching subnet for aux-address 1.2.3.4"},
		{IPAMConfig{Subnet: "10.5.0.1/16"}, "", "invalid subnet 10.5.0.1/16: it should be 10.5.0.0/16"},
		{IPAMConfig{Subnet: "bogus"}, "", "invalid subnet bogus"},
		{IPAMConfig{Subnet: "10.5.0.0/31"}, "", "too small"},
	}
	for _, tt := range tests {
		_, _, gw, _, err := parseIPAMConfig(tt.c)
		if tt.wantErr != "" {
			if !errdefs.IsInvalidParameter(err) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%+v: err %v, want %q", tt.c, err, tt.wantErr)
			}
			continue
		}
		if err != nil || gw.String() != tt.gw {
			t.Errorf("%+v: gw %v err %v, want %s", tt.c, gw, err, tt.gw)
		}
	}
}

func TestNthSubnetAndLastAddr(t *testing.T) {
	tests := []struct {
		base string
		size int
		i    uint64
		want string
	}{
		{"172.31.0.0/16", 24, 0, "172.31.0.0/24"},
		{"172.31.0.0/16", 24, 255, "172.31.255.0/24"},
		{"172.31.0.0/16", 24, 256, ""},
		{"10.0.0.0/8", 16, 3, "10.3.0.0/16"},
		{"fdb7:e27f:2c00::/40", 64, 1, "fdb7:e27f:2c00:1::/64"},
		{"fdb7:e27f:2c00::/40", 64, 65536, "fdb7:e27f:2c01::/64"},
	}
	for _, tt := range tests {
		p, ok := nthSubnet(netip.MustParsePrefix(tt.base), tt.size, tt.i)
		if (tt.want == "") == ok || (ok && p.String() != tt.want) {
			t.Errorf("nthSubnet(%s, %d, %d) = %v %v, want %q", tt.base, tt.size, tt.i, p, ok, tt.want)
		}
	}
	for p, want := range map[string]string{"10.1.0.0/16": "10.1.255.255", "fd00::/64": "fd00::ffff:ffff:ffff:ffff", "0.0.0.0/0": "255.255.255.255"} {
		if got := lastAddr(netip.MustParsePrefix(p)); got.String() != want {
			t.Errorf("lastAddr(%s) = %s, want %s", p, got, want)
		}
	}
}

func TestIPAMRangeReserveAndV6(t *testing.T) {
	db := openDB(t)
	sub, rng := netip.MustParsePrefix("10.7.0.0/24"), netip.MustParsePrefix("10.7.0.252/30")
	gw := netip.MustParseAddr("10.7.0.1")
	var got []string
	err := db.Update(func(tx *bolt.Tx) error {
		if err := ipamReserve(tx, "n", netip.MustParseAddr("10.7.0.253"), ownerAux); err != nil {
			return err
		}
		for i := 0; i < 2; i++ {
			a, err := ipamAllocate(tx, "n", sub, rng, gw, fmt.Sprint("c", i), "")
			if err != nil {
				return err
			}
			got = append(got, a.String())
		}
		// .252 and .254 taken, .253 aux, .255 broadcast: the range is full.
		if _, err := ipamAllocate(tx, "n", sub, rng, gw, "full", ""); err == nil {
			return errors.New("allocation from a full range succeeded")
		}
		if err := ipamReserve(tx, "n", netip.MustParseAddr("10.7.0.252"), "other"); !errors.Is(err, errAddressInUse) {
			return fmt.Errorf("reserving a taken address: %v", err)
		}
		return nil
	})
	if err != nil || strings.Join(got, " ") != "10.7.0.252 10.7.0.254" {
		t.Fatalf("got %v, %v", got, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		sub6 := netip.MustParsePrefix("fd00:9::/64")
		a, err := ipamAllocate(tx, "n", sub6, netip.Prefix{}, sub6.Addr().Next(), "c", "")
		if err != nil || a.String() != "fd00:9::2" {
			return fmt.Errorf("v6 got %v %v", a, err)
		}
		// The IPv4 cursor is separate from the IPv6 one.
		b, err := ipamAllocate(tx, "n", sub, netip.Prefix{}, gw, "d", "")
		if err != nil || b.String() != "10.7.0.2" {
			return fmt.Errorf("v4 after v6 got %v %v", b, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestValidatePools(t *testing.T) {
	if err := validatePools([]AddressPool{{Base: "10.0.0.0/8", Size: 24}, {Base: "fd00::/48", Size: 64}}); err != nil {
		t.Error(err)
	}
	for _, p := range []AddressPool{{Base: "10.0.0.0/8", Size: 4}, {Base: "10.0.0.0/8", Size: 31}, {Base: "x", Size: 24}} {
		if err := validatePools([]AddressPool{p}); !errdefs.IsInvalidParameter(err) {
			t.Errorf("%+v: %v", p, err)
		}
	}
}

func TestWantedPortsErrors(t *testing.T) {
	_, err := wantedPorts(AttachRequest{PortBindings: network.PortMap{network.MustParsePort("80/sctp"): nil}})
	if !errdefs.IsNotImplemented(err) || !strings.Contains(err.Error(), "sctp") {
		t.Errorf("sctp: %v", err)
	}
	if _, statErr := os.Stat("/proc/net/sctp"); statErr != nil && !strings.Contains(fmt.Sprint(err), "CONFIG_IP_SCTP") {
		t.Errorf("kernel without SCTP: error %v does not name CONFIG_IP_SCTP", err)
	}
	// A host port range: the first free port of it is taken.
	wp, err := wantedPorts(AttachRequest{PortBindings: network.PortMap{network.MustParsePort("80/tcp"): {{HostPort: "8000-8010"}}}})
	if err != nil || len(wp) != 1 || wp[0].lo != 8000 || wp[0].hi != 8010 {
		t.Errorf("range: %+v %v", wp, err)
	}
}

// TestLoadEndpointsMigratesOldKeys: records of berth before multi-network
// support (key = container ID, Network "bridge") move to the new key.
func TestLoadEndpointsMigratesOldKeys(t *testing.T) {
	db := openDB(t)
	err := db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(endpointBucket)
		if err != nil {
			return err
		}
		return b.Put([]byte("ctr1"), []byte(`{"containerId":"ctr1","network":"bridge","ip":"172.30.0.2/16","hostVeth":"vethbtabc"}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	eps, err := loadEndpoints(db, "defid")
	if err != nil {
		t.Fatal(err)
	}
	r := eps[epKey{"ctr1", "defid"}]
	if len(eps) != 1 || r == nil || r.IfName != "eth0" || r.IP.String() != "172.30.0.2/16" {
		t.Fatalf("migrated: %+v", eps)
	}
	db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(endpointBucket)
		if b.Get([]byte("ctr1")) != nil || b.Get([]byte("ctr1/defid")) == nil {
			t.Error("record not moved to the new key")
		}
		return nil
	})
	// Loading again is stable.
	if eps, err := loadEndpoints(db, "defid"); err != nil || len(eps) != 1 || eps[epKey{"ctr1", "defid"}] == nil {
		t.Errorf("second load: %+v %v", eps, err)
	}
}
