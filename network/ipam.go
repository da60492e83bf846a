package network

import (
	"fmt"
	"net/netip"

	bolt "go.etcd.io/bbolt"
)

// IPAM state lives in bucket "network.ipam", one nested bucket per network
// name. Keys are addresses ("172.30.0.2") mapped to the owning container
// ID; the key "_cursor" holds the last address handed out. Allocation
// continues after the cursor (wrapping), so a released address is reused
// only once the whole range has been cycled through, like libnetwork, which
// keeps stale ARP/conntrack entries from hitting a new container.
var ipamBucket = []byte("network.ipam")

const cursorKey = "_cursor"

// ipamAllocate reserves the next free address of subnet for owner. The
// network address, the broadcast address and gateway are never handed out.
func ipamAllocate(tx *bolt.Tx, netName string, subnet netip.Prefix, gateway netip.Addr, owner string) (netip.Addr, error) {
	root, err := tx.CreateBucketIfNotExists(ipamBucket)
	if err != nil {
		return netip.Addr{}, err
	}
	b, err := root.CreateBucketIfNotExists([]byte(netName))
	if err != nil {
		return netip.Addr{}, err
	}
	first, last := hostRange(subnet)
	start := first
	if c := b.Get([]byte(cursorKey)); c != nil {
		if a, err := netip.ParseAddr(string(c)); err == nil && subnet.Contains(a) {
			start = a.Next()
		}
	}
	if start.Compare(last) > 0 {
		start = first
	}
	a := start
	for n := u32(last) - u32(first) + 1; n > 0; n-- {
		if a != gateway && b.Get([]byte(a.String())) == nil {
			if err := b.Put([]byte(a.String()), []byte(owner)); err != nil {
				return netip.Addr{}, err
			}
			return a, b.Put([]byte(cursorKey), []byte(a.String()))
		}
		if a = a.Next(); a.Compare(last) > 0 {
			a = first
		}
	}
	return netip.Addr{}, fmt.Errorf("no available IPv4 addresses on this network's address pools: %s (%s)", netName, subnet)
}

func u32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// ipamRelease frees addr if owner holds it.
func ipamRelease(tx *bolt.Tx, netName string, addr netip.Addr, owner string) error {
	root := tx.Bucket(ipamBucket)
	if root == nil {
		return nil
	}
	b := root.Bucket([]byte(netName))
	if b == nil {
		return nil
	}
	k := []byte(addr.String())
	if v := b.Get(k); v != nil && string(v) == owner {
		return b.Delete(k)
	}
	return nil
}

// hostRange returns the first and last usable host address of an IPv4
// subnet (without network and broadcast addresses).
func hostRange(p netip.Prefix) (first, last netip.Addr) {
	p = p.Masked()
	first = p.Addr().Next()
	v := u32(p.Addr())
	v |= (1 << (32 - p.Bits())) - 1
	bcast := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	return first, bcast.Prev()
}
