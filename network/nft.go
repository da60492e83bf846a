package network

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// Our rules live in two tables of our own, both named cfg.NftTable:
//
//   - inet: NAT (published ports, masquerade) and the forward filter
//     (isolation between networks, internal networks, the user chain);
//   - bridge: --icc=false / enable_icc=false, which has to filter frames
//     bridged between two ports of one bridge.
//
// Published ports live in nftables maps rather than in one rule per port:
// attaching or detaching a container is then a single "add/delete element"
// transaction (one `nft -f -` exec, a few ms) and the chains only change
// when networks do. Maps are keyed by host port (bindings on all
// addresses) or by host address . host port (bindings on one address), per
// protocol and family.

// UserChain is the regular chain of our inet table that the forward hook
// jumps to before any rule of ours, like Docker's DOCKER-USER: admins put
// their own filter rules there; the daemon never flushes them and keeps them
// across restarts.
const UserChain = "BERTH-USER"

// portMapping is one published port of an endpoint.
type portMapping struct {
	Proto    string     `json:"proto"`    // "tcp" or "udp"
	HostIP   netip.Addr `json:"hostIp"`   // zero: every IPv4 address of the host (and IPv6 when the container has it)
	HostPort uint16     `json:"hostPort"` // resolved, never 0
	CtrPort  uint16     `json:"ctrPort"`
}

// netRules is what the generated ruleset of one bridge network needs.
type netRules struct {
	Bridge          string
	Subnet, Subnet6 netip.Prefix
	Extra           []netip.Prefix // further subnets of either family
	Internal        bool
	ICC, Masquerade bool
	Links           []string // "a . b" IPv4 pairs allowed when !ICC
}

// tableSpec describes both tables: every network, every endpoint's
// published ports and the admin's user-chain rules. It is rendered on
// daemon start and whenever networks change, so the kernel state is exactly
// what the database says, whatever was there before.
type tableSpec struct {
	Table     string
	Networks  []netRules
	Ports     []dnatEntry
	UserRules []string
	// NoICCPorts are the host veths of endpoints on networks with ICC off.
	NoICCPorts []string
	// Links are "a . b" IPv4 pairs allowed to talk despite ICC off.
	Links []string
	// Ingress are the rules of the ingress chain (ingress.go).
	Ingress []string
}

// dnatEntry is a published port with its container address resolved.
type dnatEntry struct {
	portMapping
	CtrIP netip.Addr
	all6  bool // the IPv6 side of a binding on all addresses
}

func (e dnatEntry) v6() bool { return e.CtrIP.Is6() }

func (e dnatEntry) byAddr() bool {
	return e.HostIP.IsValid() && !e.HostIP.IsUnspecified()
}

func (e dnatEntry) mapName() string {
	name := e.Proto
	if e.v6() {
		name += "6"
	}
	if e.byAddr() {
		return name + "_addr_ports"
	}
	return name + "_ports"
}

func (e dnatEntry) key() string {
	if e.byAddr() {
		return fmt.Sprintf("%s . %d", e.HostIP, e.HostPort)
	}
	return fmt.Sprintf("%d", e.HostPort)
}

func (e dnatEntry) element() string {
	return fmt.Sprintf("%s : %s . %d", e.key(), e.CtrIP, e.CtrPort)
}

var protos = []string{"tcp", "udp"}

// nftDeclare makes a following "delete table" valid when the table does
// not exist yet. The old "ip" table of berth versions before IPv6 is
// removed too.
func nftDeleteScript(table string) string {
	var b strings.Builder
	for _, fam := range []string{"ip", "inet", "bridge"} {
		fmt.Fprintf(&b, "table %s %s\ndelete table %s %s\n", fam, table, fam, table)
	}
	return b.String()
}

// renderTable returns an nft script that atomically replaces our tables.
func renderTable(s tableSpec) string {
	var b strings.Builder
	b.WriteString(nftDeleteScript(s.Table))
	fmt.Fprintf(&b, "table inet %s {\n", s.Table)
	groups := groupEntries(s.Ports)
	for _, proto := range protos {
		for _, fam := range []string{"ipv4_addr", "ipv6_addr"} {
			p := proto
			if fam == "ipv6_addr" {
				p += "6"
			}
			for _, addr := range []bool{false, true} {
				name, typ := p+"_ports", "inet_service"
				if addr {
					name, typ = p+"_addr_ports", fam+" . inet_service"
				}
				fmt.Fprintf(&b, "\tmap %s {\n\t\ttype %s : %s . inet_service\n", name, typ, fam)
				if els := groups[name]; len(els) > 0 {
					fmt.Fprintf(&b, "\t\telements = { %s }\n", strings.Join(els, ", "))
				}
				b.WriteString("\t}\n")
			}
		}
	}
	var bridges []string
	for _, n := range s.Networks {
		bridges = append(bridges, fmt.Sprintf("%q", n.Bridge))
	}
	b.WriteString("\tset bridges {\n\t\ttype ifname\n")
	if len(bridges) > 0 {
		fmt.Fprintf(&b, "\t\telements = { %s }\n", strings.Join(bridges, ", "))
	}
	b.WriteString("\t}\n")
	// DNAT only what is addressed to this host (like Docker's
	// "-m addrtype --dst-type LOCAL"); the output hook makes 127.0.0.1 and
	// the host's own addresses work for local clients without a proxy.
	b.WriteString("\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n\t\tfib daddr type local jump published\n\t}\n")
	b.WriteString("\tchain output {\n\t\ttype nat hook output priority -100; policy accept;\n\t\tfib daddr type local jump published\n\t}\n")
	b.WriteString("\tchain published {\n")
	for _, proto := range protos {
		fmt.Fprintf(&b, "\t\tdnat ip to ip daddr . %s dport map @%s_addr_ports\n", proto, proto)
		fmt.Fprintf(&b, "\t\tdnat ip to %s dport map @%s_ports\n", proto, proto)
		fmt.Fprintf(&b, "\t\tdnat ip6 to ip6 daddr . %s dport map @%s6_addr_ports\n", proto, proto)
		fmt.Fprintf(&b, "\t\tdnat ip6 to %s dport map @%s6_ports\n", proto, proto)
	}
	// Swarm services' ports: never in the maps above (the host port is
	// held by one or the other), so the order does not matter.
	fmt.Fprintf(&b, "\t\tjump %s\n\t}\n", ingressChain)
	fmt.Fprintf(&b, "\tchain %s {\n", ingressChain)
	for _, r := range s.Ingress {
		fmt.Fprintf(&b, "\t\t%s\n", r)
	}
	b.WriteString("\t}\n")
	b.WriteString("\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n")
	for _, n := range s.Networks {
		for _, r := range postroutingRules(n) {
			fmt.Fprintf(&b, "\t\t%s\n", r)
		}
	}
	b.WriteString("\t}\n")
	fmt.Fprintf(&b, "\tchain %s {\n", UserChain)
	for _, r := range s.UserRules {
		fmt.Fprintf(&b, "\t\t%s\n", r)
	}
	b.WriteString("\t}\n")
	b.WriteString("\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n")
	fmt.Fprintf(&b, "\t\tjump %s\n", UserChain)
	b.WriteString("\t\tct state established,related accept\n")
	for _, n := range s.Networks {
		for _, r := range forwardRules(n) {
			fmt.Fprintf(&b, "\t\t%s\n", r)
		}
	}
	b.WriteString("\t}\n")
	renderInput(&b, s)
	b.WriteString("}\n")
	renderBridgeTable(&b, s)
	return b.String()
}

// inputChain keeps containers of internal networks away from the host
// itself (its address on their bridge and every other one): the forward
// hook never sees that traffic. The chain only exists once an internal
// network does.
const inputChain = "\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n"

func renderInput(b *strings.Builder, s tableSpec) {
	var rules []string
	for _, n := range s.Networks {
		rules = append(rules, inputRules(n)...)
	}
	if len(rules) == 0 {
		return
	}
	b.WriteString(inputChain)
	for _, r := range rules {
		fmt.Fprintf(b, "\t\t%s\n", r)
	}
	b.WriteString("\t}\n")
}

// postroutingRules are one network's NAT rules.
func postroutingRules(n netRules) []string {
	var out []string
	loDone := map[string]bool{}
	for _, sub := range append([]netip.Prefix{n.Subnet, n.Subnet6}, n.Extra...) {
		if !sub.IsValid() {
			continue
		}
		ip, lo := "ip", "127.0.0.0/8"
		if sub.Addr().Is6() {
			ip, lo = "ip6", "::1"
		}
		if n.Masquerade && !n.Internal {
			// Outbound NAT for everything leaving the bridge for elsewhere.
			out = append(out, fmt.Sprintf("oifname != %q %s saddr %s masquerade", n.Bridge, ip, sub))
		}
		// Local clients reaching a container through the loopback
		// address: the container cannot answer it, so rewrite it.
		if !loDone[ip] {
			out = append(out, fmt.Sprintf("oifname %q %s saddr %s masquerade", n.Bridge, ip, lo))
			loDone[ip] = true
		}
		// Hairpin and container-to-container via a published port:
		// the reply must come back through the host to be un-DNATed.
		out = append(out, fmt.Sprintf("oifname %q %s saddr %s ct status dnat masquerade", n.Bridge, ip, sub))
	}
	return out
}

// forwardRules are one network's filter rules of the forward hook; they
// come after the user chain and the established/related accept, and do
// not depend on their order among networks.
func forwardRules(n netRules) []string {
	if n.Internal {
		// Nothing in or out, only container to container.
		return []string{
			fmt.Sprintf("iifname %q oifname != %q drop", n.Bridge, n.Bridge),
			fmt.Sprintf("oifname %q iifname != %q drop", n.Bridge, n.Bridge),
		}
	}
	// Published ports are reachable from everywhere, other networks
	// included (as through Docker's proxy); nothing else crosses from one
	// of our networks to another.
	return []string{
		fmt.Sprintf("oifname %q ct status dnat accept", n.Bridge),
		fmt.Sprintf("oifname %q iifname @bridges iifname != %q drop", n.Bridge, n.Bridge),
	}
}

// inputRules: from an internal bridge only replies to connections the
// host opened reach the host, and IPv6 neighbour discovery, which those
// need.
func inputRules(n netRules) []string {
	if !n.Internal {
		return nil
	}
	return []string{
		fmt.Sprintf("iifname %q ct state established,related accept", n.Bridge),
		fmt.Sprintf("iifname %q icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit } accept", n.Bridge),
		fmt.Sprintf("iifname %q drop", n.Bridge),
	}
}

// renderNetworkAdd adds one new network to the tables without rebuilding
// them: only additions, so the kernel commits it without waiting for an
// RCU grace period as deletions do (a full rebuild costs some 40 ms).
// Its rules are order-independent, so appending them is equivalent to
// the full render, which the next rebuild restores anyway.
func renderNetworkAdd(table string, n netRules) string {
	var b strings.Builder
	fmt.Fprintf(&b, "add element inet %s bridges { %q }\n", table, n.Bridge)
	for _, r := range postroutingRules(n) {
		fmt.Fprintf(&b, "add rule inet %s postrouting %s\n", table, r)
	}
	for _, r := range forwardRules(n) {
		fmt.Fprintf(&b, "add rule inet %s forward %s\n", table, r)
	}
	if in := inputRules(n); len(in) > 0 {
		fmt.Fprintf(&b, "table inet %s {\n%s\t}\n}\n", table, inputChain)
		for _, r := range in {
			fmt.Fprintf(&b, "add rule inet %s input %s\n", table, r)
		}
	}
	return b.String()
}

// renderBridgeTable writes the bridge-family table for networks with ICC
// off: frames from a container of such a network to another port of its
// bridge are dropped unless the pair is linked. ARP and IPv6 neighbour
// discovery still pass, so a linked pair can find each other. Ports are
// matched by name (set noicc): this kernel has no bridge meta expressions
// (ibrname), and the set works without br_netfilter.
func renderBridgeTable(b *strings.Builder, s tableSpec) {
	fmt.Fprintf(b, "table bridge %s {\n", s.Table)
	links := append([]string(nil), s.Links...)
	sort.Strings(links)
	b.WriteString("\tset links {\n\t\ttype ipv4_addr . ipv4_addr\n")
	if len(links) > 0 {
		fmt.Fprintf(b, "\t\telements = { %s }\n", strings.Join(links, ", "))
	}
	b.WriteString("\t}\n\tset noicc {\n\t\ttype ifname\n")
	if len(s.NoICCPorts) > 0 {
		ports := make([]string, 0, len(s.NoICCPorts))
		for _, p := range s.NoICCPorts {
			ports = append(ports, fmt.Sprintf("%q", p))
		}
		sort.Strings(ports)
		fmt.Fprintf(b, "\t\telements = { %s }\n", strings.Join(ports, ", "))
	}
	b.WriteString("\t}\n")
	b.WriteString("\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n")
	b.WriteString("\t\tiifname @noicc ether type arp accept\n")
	b.WriteString("\t\tiifname @noicc icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit } accept\n")
	b.WriteString("\t\tiifname @noicc ip saddr . ip daddr @links accept\n")
	b.WriteString("\t\tiifname @noicc drop\n")
	b.WriteString("\t}\n}\n")
}

// renderICCDelta adds or removes a host veth of the noicc set.
func renderICCDelta(table, veth string, add bool) string {
	verb := "add"
	if !add {
		verb = "delete"
	}
	return fmt.Sprintf("%s element bridge %s noicc { %q }\n", verb, table, veth)
}

// groupEntries returns sorted element strings per map name.
func groupEntries(entries []dnatEntry) map[string][]string {
	groups := map[string][]string{}
	for _, e := range entries {
		groups[e.mapName()] = append(groups[e.mapName()], e.element())
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
		if add {
			groups[e.mapName()] = append(groups[e.mapName()], e.element())
		} else {
			groups[e.mapName()] = append(groups[e.mapName()], e.key())
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
		fmt.Fprintf(&b, "%s element inet %s %s { %s }\n", verb, table, n, strings.Join(groups[n], ", "))
	}
	return b.String()
}

// renderLinkDelta adds or removes IPv4 pairs of the links set.
func renderLinkDelta(table string, pairs []string, add bool) string {
	if len(pairs) == 0 {
		return ""
	}
	verb := "add"
	if !add {
		verb = "delete"
	}
	return fmt.Sprintf("%s element bridge %s links { %s }\n", verb, table, strings.Join(pairs, ", "))
}

// networkRuleHandles finds, in `nft -a list table inet` output, the
// handles of the rules of our chains that name bridge (quoted, so "br"
// never matches "br2"), by chain.
func networkRuleHandles(listing, bridge string) map[string][]string {
	out := map[string][]string{}
	quoted := fmt.Sprintf("%q", bridge)
	chain := ""
	for _, l := range strings.Split(listing, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "chain "):
			chain = strings.Fields(l)[1]
		case strings.HasPrefix(l, "set ") || strings.HasPrefix(l, "map "):
			chain = ""
		case chain != "" && chain != UserChain && strings.Contains(l, quoted):
			if i := strings.LastIndex(l, " # handle "); i >= 0 {
				out[chain] = append(out[chain], strings.TrimSpace(l[i+len(" # handle "):]))
			}
		}
	}
	return out
}

// renderNetworkRemove deletes the rules found by networkRuleHandles and the
// bridge's element of the bridges set, in one transaction.
func renderNetworkRemove(table, bridge string, handles map[string][]string) string {
	var b strings.Builder
	chains := make([]string, 0, len(handles))
	for c := range handles {
		chains = append(chains, c)
	}
	sort.Strings(chains)
	for _, c := range chains {
		for _, h := range handles[c] {
			fmt.Fprintf(&b, "delete rule inet %s %s handle %s\n", table, c, h)
		}
	}
	fmt.Fprintf(&b, "delete element inet %s bridges { %q }\n", table, bridge)
	return b.String()
}
