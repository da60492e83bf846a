package network

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// Published ports live in nftables maps rather than in one rule per port:
// attaching or detaching a container is then a single "add/delete element"
// transaction (one `nft -f -` exec, a few ms) and the chains never change
// after New. Maps are keyed by host port (bindings on all addresses) or by
// host address . host port (bindings on one address), per protocol.

// portMapping is one published port of an endpoint.
type portMapping struct {
	Proto    string     `json:"proto"`    // "tcp" or "udp"
	HostIP   netip.Addr `json:"hostIp"`   // zero: every IPv4 address of the host
	HostPort uint16     `json:"hostPort"` // resolved, never 0
	CtrPort  uint16     `json:"ctrPort"`
}

// netRules is what the generated ruleset of one network needs to know.
type netRules struct {
	Bridge string
	Subnet netip.Prefix
}

// tableSpec describes the whole table: every network and every endpoint's
// published ports. It is rendered on daemon start so the kernel state is
// exactly what the database says, whatever was there before.
type tableSpec struct {
	Table    string
	Networks []netRules
	Ports    []dnatEntry
}

// dnatEntry is a published port with its container address resolved.
type dnatEntry struct {
	portMapping
	CtrIP netip.Addr
}

func mapName(proto string, hostIP netip.Addr) string {
	if hostIP.IsValid() {
		return proto + "_addr_ports"
	}
	return proto + "_ports"
}

func (e dnatEntry) key() string {
	if e.HostIP.IsValid() {
		return fmt.Sprintf("%s . %d", e.HostIP, e.HostPort)
	}
	return fmt.Sprintf("%d", e.HostPort)
}

func (e dnatEntry) element() string {
	return fmt.Sprintf("%s : %s . %d", e.key(), e.CtrIP, e.CtrPort)
}

var protos = []string{"tcp", "udp"}

// renderTable returns an nft script that atomically replaces the table.
// The leading "table" line makes the "delete" valid when the table does not
// exist yet, so the script is idempotent.
func renderTable(s tableSpec) string {
	var b strings.Builder
	fmt.Fprintf(&b, "table ip %s\ndelete table ip %s\ntable ip %s {\n", s.Table, s.Table, s.Table)
	groups := groupEntries(s.Ports)
	for _, proto := range protos {
		for _, addr := range []bool{false, true} {
			name, typ := proto+"_ports", "inet_service"
			if addr {
				name, typ = proto+"_addr_ports", "ipv4_addr . inet_service"
			}
			fmt.Fprintf(&b, "\tmap %s {\n\t\ttype %s : ipv4_addr . inet_service\n", name, typ)
			if els := groups[name]; len(els) > 0 {
				fmt.Fprintf(&b, "\t\telements = { %s }\n", strings.Join(els, ", "))
			}
			b.WriteString("\t}\n")
		}
	}
	// DNAT only what is addressed to this host (like Docker's
	// "-m addrtype --dst-type LOCAL"); the output hook makes 127.0.0.1 and
	// the host's own addresses work for local clients without a proxy.
	b.WriteString("\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n\t\tfib daddr type local jump published\n\t}\n")
	b.WriteString("\tchain output {\n\t\ttype nat hook output priority -100; policy accept;\n\t\tfib daddr type local jump published\n\t}\n")
	b.WriteString("\tchain published {\n")
	for _, proto := range protos {
		fmt.Fprintf(&b, "\t\tdnat to ip daddr . %s dport map @%s_addr_ports\n", proto, proto)
		fmt.Fprintf(&b, "\t\tdnat to %s dport map @%s_ports\n", proto, proto)
	}
	b.WriteString("\t}\n")
	b.WriteString("\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n")
	for _, n := range s.Networks {
		// Outbound NAT for everything leaving the bridge for elsewhere.
		fmt.Fprintf(&b, "\t\toifname != %q ip saddr %s masquerade\n", n.Bridge, n.Subnet.Masked())
		// Local clients reaching a container through 127.0.0.1: the
		// container cannot answer a loopback source, so rewrite it.
		fmt.Fprintf(&b, "\t\toifname %q ip saddr 127.0.0.0/8 masquerade\n", n.Bridge)
		// Hairpin and container-to-container via a published port: the
		// reply must come back through the host to be un-DNATed.
		fmt.Fprintf(&b, "\t\toifname %q ip saddr %s ct status dnat masquerade\n", n.Bridge, n.Subnet.Masked())
	}
	b.WriteString("\t}\n}\n")
	return b.String()
}

// groupEntries returns sorted element strings per map name.
func groupEntries(entries []dnatEntry) map[string][]string {
	groups := map[string][]string{}
	for _, e := range entries {
		name := mapName(e.Proto, e.HostIP)
		groups[name] = append(groups[name], e.element())
	}
	for _, els := range groups {
		sort.Strings(els)
	}
	return groups
}

// renderPortDelta returns the nft script that adds (add=true) or removes
// one endpoint's published ports. Empty when there is nothing to do.
func renderPortDelta(table string, entries []dnatEntry, add bool) string {
	var b strings.Builder
	groups := map[string][]string{}
	for _, e := range entries {
		name := mapName(e.Proto, e.HostIP)
		if add {
			groups[name] = append(groups[name], e.element())
		} else {
			groups[name] = append(groups[name], e.key())
		}
	}
	names := make([]string, 0, len(groups))
	for n := range groups {
		names = append(names, n)
	}
	sort.Strings(names)
	verb := "add"
	if !add {
		verb = "delete"
	}
	for _, n := range names {
		fmt.Fprintf(&b, "%s element ip %s %s { %s }\n", verb, table, n, strings.Join(groups[n], ", "))
	}
	return b.String()
}
