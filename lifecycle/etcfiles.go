package lifecycle

import (
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/berth-project/berth/container"
	"github.com/berth-project/berth/internal/errdefs"
)

const hostsHeader = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::\tip6-localnet\nff00::\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n"

// embeddedDNS is the address of the per-container resolver, as in Docker.
const embeddedDNS = "127.0.0.11"

// writeEtcFiles writes /etc/hostname, /etc/hosts and /etc/resolv.conf for
// the container, as Docker generates them. A container that shares another
// container's network namespace gets copies of that container's files.
func (s *Service) writeEtcFiles(c *container.Container, ns *netSetup) error {
	if ns.source != nil {
		for _, f := range [][2]string{{ns.source.HostnamePath, c.HostnamePath}, {ns.source.HostsPath, c.HostsPath}, {ns.source.ResolvConfPath, c.ResolvConfPath}} {
			data, err := os.ReadFile(f[0])
			if err != nil {
				return fmt.Errorf("copy network files of container %s: %w", ns.source.ShortID(), err)
			}
			if err := os.WriteFile(f[1], data, 0o644); err != nil {
				return err
			}
		}
		return nil
	}
	hostname := c.Config.Hostname
	if isHostNetwork(c.HostConfig) {
		h, _ := os.Hostname()
		hostname = h
	}
	if err := os.WriteFile(c.HostnamePath, []byte(hostname+"\n"), 0o644); err != nil {
		return err
	}
	hosts, err := s.hostsFile(c, hostname, ns)
	if err != nil {
		return err
	}
	if err := os.WriteFile(c.HostsPath, hosts, 0o644); err != nil {
		return err
	}
	return os.WriteFile(c.ResolvConfPath, s.resolvConf(c), 0o644)
}

func (s *Service) hostsFile(c *container.Container, hostname string, ns *netSetup) ([]byte, error) {
	if isHostNetwork(c.HostConfig) {
		data, _ := os.ReadFile("/etc/hosts")
		return data, nil
	}
	var b strings.Builder
	b.WriteString(hostsHeader)
	for _, h := range c.HostConfig.ExtraHosts {
		name, ip, ok := strings.Cut(h, ":")
		if !ok {
			name, ip, _ = strings.Cut(h, "=")
		}
		if ip == "host-gateway" {
			gw, err := s.hostGateway()
			if err != nil {
				return nil, err
			}
			ip = gw.String()
		}
		fmt.Fprintf(&b, "%s\t%s\n", ip, name)
	}
	for _, l := range ns.hosts {
		b.WriteString(l + "\n")
	}
	if len(c.Endpoints) > 0 {
		ep := c.Endpoints[0]
		if ep.IPAddress.IsValid() {
			fmt.Fprintf(&b, "%s\t%s\n", ep.IPAddress, hostname)
		}
		if ep.GlobalIPv6Address.IsValid() {
			fmt.Fprintf(&b, "%s\t%s\n", ep.GlobalIPv6Address, hostname)
		}
	}
	return []byte(b.String()), nil
}

// hostGateway is the address `--add-host name:host-gateway` maps to: the
// default bridge's gateway, as in Docker.
func (s *Service) hostGateway() (netip.Addr, error) {
	if s.net != nil {
		if _, gw, ok := s.net.Gateway(); ok {
			return gw, nil
		}
	}
	return netip.Addr{}, errdefs.InvalidParameter("unable to derive the IP value for host-gateway")
}

// resolvConf is the container's /etc/resolv.conf. On user-defined networks
// it points at the embedded server (which forwards to the host's or --dns
// servers). Otherwise it copies the host's without loopback nameservers
// (they mean nothing inside the container); Docker's public fallbacks are
// written when none remain. --dns/--dns-search/--dns-option override.
func (s *Service) resolvConf(c *container.Container) []byte {
	if isHostNetwork(c.HostConfig) {
		data, _ := os.ReadFile(s.cfg.HostResolvConf)
		return data
	}
	var servers, search, options []string
	data, _ := os.ReadFile(s.cfg.HostResolvConf)
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch f[0] {
		case "nameserver":
			if ip, err := netip.ParseAddr(f[1]); err == nil && !ip.IsLoopback() {
				servers = append(servers, f[1])
			}
		case "search":
			search = f[1:]
		case "options":
			options = f[1:]
		}
	}
	if len(s.cfg.DNS) > 0 {
		servers = s.cfg.DNS
	}
	if len(s.cfg.DNSSearch) > 0 {
		search = s.cfg.DNSSearch
	}
	if len(s.cfg.DNSOptions) > 0 {
		options = s.cfg.DNSOptions
	}
	hc := c.HostConfig
	if len(hc.DNS) > 0 {
		servers = nil
		for _, a := range hc.DNS {
			servers = append(servers, a.String())
		}
	}
	if len(hc.DNSSearch) > 0 {
		search = hc.DNSSearch
	}
	if len(hc.DNSOptions) > 0 {
		options = hc.DNSOptions
	}
	if len(servers) == 0 {
		servers = []string{"8.8.8.8", "8.8.4.4"}
	}
	if s.usesEmbeddedDNS(c) {
		servers = []string{embeddedDNS}
		if !hasOption(options, "ndots") {
			options = append([]string{"ndots:0"}, options...)
		}
	}
	var b strings.Builder
	for _, ns := range servers {
		fmt.Fprintf(&b, "nameserver %s\n", ns)
	}
	if len(search) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(search, " "))
	}
	if len(options) > 0 {
		fmt.Fprintf(&b, "options %s\n", strings.Join(options, " "))
	}
	return []byte(b.String())
}

func hasOption(options []string, name string) bool {
	for _, o := range options {
		if k, _, _ := strings.Cut(o, ":"); k == name {
			return true
		}
	}
	return false
}

// endpointHosts are the /etc/hosts lines naming the container at one
// endpoint's addresses.
func endpointHosts(hostname string, ep *container.Endpoint) []string {
	var lines []string
	for _, ip := range []netip.Addr{ep.IPAddress, ep.GlobalIPv6Address} {
		if ip.IsValid() {
			lines = append(lines, ip.String()+"\t"+hostname)
		}
	}
	return lines
}

// addHostsEntries appends an endpoint's lines to a running container's
// hosts file. Files are changed in place (never renamed): the container
// sees this inode through its bind mount.
func addHostsEntries(path, hostname string, ep *container.Endpoint) error {
	lines := endpointHosts(hostname, ep)
	if path == "" || len(lines) == 0 {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("update hosts file: %w", err)
	}
	_, err = f.WriteString(strings.Join(lines, "\n") + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("update hosts file: %w", err)
	}
	return nil
}

// removeHostsEntries drops the lines of an endpoint's addresses.
func removeHostsEntries(path string, ep *container.Endpoint) error {
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("update hosts file: %w", err)
	}
	drop := map[string]bool{}
	for _, ip := range []netip.Addr{ep.IPAddress, ep.GlobalIPv6Address} {
		if ip.IsValid() {
			drop[ip.String()] = true
		}
	}
	var b strings.Builder
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 0 && drop[f[0]] {
			continue
		}
		b.WriteString(line)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("update hosts file: %w", err)
	}
	return nil
}
