package network

import (
	"net/netip"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func openDB(t *testing.T) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "berth.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func alloc(t *testing.T, db *bolt.DB, subnet, gw, owner string) (netip.Addr, error) {
	t.Helper()
	var ip netip.Addr
	err := db.Update(func(tx *bolt.Tx) error {
		var err error
		ip, err = ipamAllocate(tx, "n", netip.MustParsePrefix(subnet), netip.Prefix{}, netip.MustParseAddr(gw), owner, "")
		return err
	})
	return ip, err
}

func release(t *testing.T, db *bolt.DB, ip netip.Addr, owner string) {
	t.Helper()
	if err := db.Update(func(tx *bolt.Tx) error { return ipamRelease(tx, "n", ip, owner) }); err != nil {
		t.Fatal(err)
	}
}

func TestIPAMNeverReusesUntilWrap(t *testing.T) {
	db := openDB(t)
	// /29: hosts .1-.6, .1 is the gateway -> .2-.6 usable.
	var got []string
	for _, o := range []string{"a", "b", "c"} {
		ip, err := alloc(t, db, "10.9.0.0/29", "10.9.0.1", o)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ip.String())
	}
	if want := "[10.9.0.2 10.9.0.3 10.9.0.4]"; fmtList(got) != want {
		t.Fatalf("got %v want %s", got, want)
	}
	release(t, db, netip.MustParseAddr("10.9.0.2"), "a")
	// The released .2 is not handed out again before .5 and .6.
	for _, want := range []string{"10.9.0.5", "10.9.0.6", "10.9.0.2"} {
		ip, err := alloc(t, db, "10.9.0.0/29", "10.9.0.1", "x"+want)
		if err != nil || ip.String() != want {
			t.Fatalf("got %v, %v; want %s", ip, err, want)
		}
	}
	if _, err := alloc(t, db, "10.9.0.0/29", "10.9.0.1", "full"); err == nil {
		t.Fatal("allocation from a full subnet succeeded")
	}
}

func TestIPAMReleaseChecksOwner(t *testing.T) {
	db := openDB(t)
	ip, err := alloc(t, db, "10.9.1.0/30", "10.9.1.1", "a")
	if err != nil || ip.String() != "10.9.1.2" {
		t.Fatalf("got %v %v", ip, err)
	}
	release(t, db, ip, "someone-else")
	if _, err := alloc(t, db, "10.9.1.0/30", "10.9.1.1", "b"); err == nil {
		t.Fatal("address released by a non-owner")
	}
}

func TestIPAMSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "berth.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := alloc(t, db, "10.9.2.0/24", "10.9.2.1", "a")
	db.Close()
	db, err = bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	second, err := alloc(t, db, "10.9.2.0/24", "10.9.2.1", "b")
	if err != nil || second == first {
		t.Fatalf("after reopen got %v (%v), first was %v", second, err, first)
	}
}

func TestHostRange(t *testing.T) {
	tests := []struct{ p, first, last string }{
		{"172.30.0.0/16", "172.30.0.1", "172.30.255.254"},
		{"10.0.0.8/29", "10.0.0.9", "10.0.0.14"},
		{"10.0.0.5/24", "10.0.0.1", "10.0.0.254"},
	}
	for _, tt := range tests {
		f, l := hostRange(netip.MustParsePrefix(tt.p))
		if f.String() != tt.first || l.String() != tt.last {
			t.Errorf("hostRange(%s) = %s-%s, want %s-%s", tt.p, f, l, tt.first, tt.last)
		}
	}
}

func fmtList(s []string) string {
	out := "["
	for i, v := range s {
		if i > 0 {
			out += " "
		}
		out += v
	}
	return out + "]"
}
