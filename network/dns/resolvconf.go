package dns

import (
	"bufio"
	"bytes"
	"net/netip"
	"strings"
)

// UpstreamsFromResolvConf returns the nameserver addresses of a
// resolv.conf, each on port 53, in file order. Loopback addresses are
// kept: the server forwards from the host namespace, where they work.
// Malformed lines are skipped, as the C library does.
func UpstreamsFromResolvConf(data []byte) []netip.AddrPort {
	var out []netip.AddrPort
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || fields[0] != "nameserver" {
			continue
		}
		addr, err := netip.ParseAddr(fields[1])
		if err != nil {
			continue
		}
		out = append(out, netip.AddrPortFrom(addr.Unmap(), 53))
	}
	return out
}
