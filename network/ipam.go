package network

import (
	"errors"
	"fmt"
	"math/big"
	"net/netip"

	bolt "go.etcd.io/bbolt"
)

// IPAM state lives in bucket "network.ipam", one nested bucket per network
// (the default bridge under "bridge", user networks under their ID). Keys
// are addresses ("172.30.0.2", "fd00::2") mapped to the owner: a container
// ID, or ownerGateway / ownerAux for addresses a network reserves. The keys
// "_cursor" and "_cursor6" hold the last address handed out per family.
// Allocation continues after the cursor (wrapping), so a released address
// is reused only once the whole range has been cycled through, like
// libnetwork, which keeps stale ARP/conntrack entries from hitting a new
// container.
var ipamBucket = []byte("network.ipam")

const (
	cursorKey    = "_cursor"
	cursor6Key   = "_cursor6"
	ownerGateway = "_gateway"
	ownerAux     = "_aux"
	// maxScan bounds a search through a huge (IPv6) range; a /64 is never
	// that full in practice, and a sequential cursor finds a free address
	// at once.
	maxScan = 1 << 20
)

func ipamNetBucket(tx *bolt.Tx, key string) (*bolt.Bucket, error) {
	root, err := tx.CreateBucketIfNotExists(ipamBucket)
	if err != nil {
		return nil, err
	}
	return root.CreateBucketIfNotExists([]byte(key))
}

// errPoolFull: a subnet has no free address; the next subnet of the
// network's family is tried.
var errPoolFull = errors.New("no free address")

// ipamAllocate reserves the next free address of pool (a subnet, or an
// --ip-range inside subnet) for owner. The subnet's network address and, for
// IPv4, its broadcast address are never handed out; gateway is skipped too
// (also reserved in the bucket for user networks). cursor names the
// subnet's cursor when the network has several of its family ("": the
// family's first subnet).
func ipamAllocate(tx *bolt.Tx, key string, subnet, pool netip.Prefix, gateway netip.Addr, owner, cursor string) (netip.Addr, error) {
	b, err := ipamNetBucket(tx, key)
	if err != nil {
		return netip.Addr{}, err
	}
	if !pool.IsValid() {
		pool = subnet
	}
	first, last := hostRange(subnet)
	if pf, pl := pool.Masked().Addr(), lastAddr(pool); pool.Bits() >= subnet.Bits() {
		if pf.Compare(first) > 0 {
			first = pf
		}
		if pl.Compare(last) < 0 {
			last = pl
		}
	}
	ck := []byte(cursorKey)
	if subnet.Addr().Is6() {
		ck = []byte(cursor6Key)
	}
	if cursor != "" {
		ck = []byte(cursorKey + ":" + cursor)
	}
	start := first
	if c := b.Get(ck); c != nil {
		if a, err := netip.ParseAddr(string(c)); err == nil && a.Compare(first) >= 0 && a.Compare(last) < 0 {
			start = a.Next()
		}
	}
	a := start
	for n := 0; n < maxScan; n++ {
		if a != gateway && b.Get([]byte(a.String())) == nil {
			if err := b.Put([]byte(a.String()), []byte(owner)); err != nil {
				return netip.Addr{}, err
			}
			return a, b.Put(ck, []byte(a.String()))
		}
		if a = a.Next(); !a.IsValid() || a.Compare(last) > 0 {
			a = first
		}
		if a == start {
			break
		}
	}
	fam := "IPv4"
	if subnet.Addr().Is6() {
		fam = "IPv6"
	}
	return netip.Addr{}, fmt.Errorf("no available %s addresses on this network's address pools: %s (%s): %w", fam, key, subnet, errPoolFull)
}

// ipamReserve takes a specific address for owner; reserving what owner
// already holds is not an error.
func ipamReserve(tx *bolt.Tx, key string, addr netip.Addr, owner string) error {
	b, err := ipamNetBucket(tx, key)
	if err != nil {
		return err
	}
	k := []byte(addr.String())
	if v := b.Get(k); v != nil {
		if string(v) == owner {
			return nil
		}
		return errAddressInUse
	}
	return b.Put(k, []byte(owner))
}

// ipamRelease frees addr if owner holds it.
func ipamRelease(tx *bolt.Tx, key string, addr netip.Addr, owner string) error {
	if !addr.IsValid() {
		return nil
	}
	root := tx.Bucket(ipamBucket)
	if root == nil {
		return nil
	}
	b := root.Bucket([]byte(key))
	if b == nil {
		return nil
	}
	k := []byte(addr.String())
	if v := b.Get(k); v != nil && string(v) == owner {
		return b.Delete(k)
	}
	return nil
}

// ipamDrop forgets a network's allocations (network rm).
func ipamDrop(tx *bolt.Tx, key string) error {
	root := tx.Bucket(ipamBucket)
	if root == nil || root.Bucket([]byte(key)) == nil {
		return nil
	}
	return root.DeleteBucket([]byte(key))
}

// hostRange returns the first and last address containers may get: without
// the network address and, for IPv4, the broadcast address.
func hostRange(p netip.Prefix) (first, last netip.Addr) {
	p = p.Masked()
	first, last = p.Addr().Next(), lastAddr(p)
	if p.Addr().Is4() {
		last = last.Prev()
	}
	return first, last
}

// lastAddr is the highest address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	p = p.Masked()
	if p.Addr().Is4() {
		v := u32(p.Addr()) | (1<<(32-p.Bits()) - 1)
		if p.Bits() == 0 {
			v = ^uint32(0)
		}
		return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	}
	b := p.Addr().As16()
	for i := p.Bits(); i < 128; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	return netip.AddrFrom16(b)
}

func u32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// nthSubnet returns the i-th prefix of length size inside base, ok false
// past the end.
func nthSubnet(base netip.Prefix, size int, i uint64) (netip.Prefix, bool) {
	base = base.Masked()
	if size < base.Bits() || size > base.Addr().BitLen() {
		return netip.Prefix{}, false
	}
	if span := size - base.Bits(); span < 64 && i >= 1<<span {
		return netip.Prefix{}, false
	}
	n := new(big.Int).SetBytes(base.Addr().AsSlice())
	off := new(big.Int).Lsh(new(big.Int).SetUint64(i), uint(base.Addr().BitLen()-size))
	n.Add(n, off)
	buf := make([]byte, base.Addr().BitLen()/8)
	n.FillBytes(buf)
	a, _ := netip.AddrFromSlice(buf)
	return netip.PrefixFrom(a, size), true
}
