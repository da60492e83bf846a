package lifecycle

import (
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/berth-project/berth/container"
	"github.com/berth-project/berth/network"
	"github.com/berth-project/berth/network/dns"
)

// dnsView is what one container may resolve through the embedded server:
// containers and aliases on the user-defined networks it shares with them
// (answered by the network manager, so connect/disconnect apply at once),
// plus its own link aliases.
type dnsView struct {
	net   *network.Manager
	id    string
	links map[string]string // alias -> linked container name
}

func (v *dnsView) LookupIP(name string) (v4, v6 []netip.Addr, ok bool) {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if target, isLink := v.links[name]; isLink {
		name = target
	}
	v4, v6 = v.net.ResolveName(v.id, name)
	return v4, v6, len(v4)+len(v6) > 0
}

func (v *dnsView) LookupPTR(ip netip.Addr) (string, bool) {
	return v.net.ResolveAddr(v.id, ip)
}

// dnsListen is where the embedded server really listens: a free port of
// 127.0.0.11, to which NAT rules in the container's namespace send port
// 53, as Docker does. Port 53 itself stays free for a DNS server of the
// container's own (dnsmasq and the like bind *:53).
var dnsListen = netip.AddrPortFrom(dns.DefaultAddr.Addr(), 0)

// startDNS serves 127.0.0.11:53 inside the container's namespace.
func (s *Service) startDNS(c *container.Container, netnsPath string) error {
	srv, err := dns.Start(dns.Config{
		NetNSPath: netnsPath,
		Addr:      dnsListen,
		Lookup:    &dnsView{net: s.net, id: c.ID, links: linkAliases(c)},
		Upstreams: s.dnsUpstreams(c),
	})
	if err != nil {
		return fmt.Errorf("start embedded DNS server: %w", err)
	}
	if err := dns.Redirect(netnsPath, srv.Addr()); err != nil {
		_ = srv.Close()
		return fmt.Errorf("start embedded DNS server: %w", err)
	}
	s.mu.Lock()
	old := s.dns[c.ID]
	s.dns[c.ID] = srv
	s.mu.Unlock()
	if old != nil {
		_ = old.Close()
	}
	return nil
}

func (s *Service) stopDNS(id string) {
	s.mu.Lock()
	srv := s.dns[id]
	delete(s.dns, id)
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// dnsUpstreams are the servers the embedded resolver forwards to: the
// container's --dns, else the daemon's --dns, else the host's resolvers
// (loopback ones included: forwarding happens in the host's namespace).
func (s *Service) dnsUpstreams(c *container.Container) []netip.AddrPort {
	var addrs []netip.Addr
	for _, a := range c.HostConfig.DNS {
		addrs = append(addrs, a)
	}
	if len(addrs) == 0 {
		for _, a := range s.cfg.DNS {
			if ip, err := netip.ParseAddr(a); err == nil {
				addrs = append(addrs, ip)
			}
		}
	}
	if len(addrs) > 0 {
		out := make([]netip.AddrPort, 0, len(addrs))
		for _, a := range addrs {
			out = append(out, netip.AddrPortFrom(a, 53))
		}
		return out
	}
	data, _ := os.ReadFile(s.cfg.HostResolvConf)
	return dns.UpstreamsFromResolvConf(data)
}
