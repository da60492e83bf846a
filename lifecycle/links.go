package lifecycle

import (
	"context"
	"fmt"
	"net/netip"
	"path"
	"sort"
	"strings"

	"github.com/berth-project/berth/container"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/network"
	networktypes "github.com/moby/moby/api/types/network"
)

// parseLink splits a --link value ("db", "db:alias" or the stored
// "/db:/web/alias") into the target container and the alias.
func parseLink(l string) (target, alias string, err error) {
	target, alias, ok := strings.Cut(l, ":")
	if !ok {
		alias = target
	}
	target = strings.TrimPrefix(target, "/")
	alias = path.Base("/" + alias)
	if target == "" || alias == "" || alias == "/" || alias == "." {
		return "", "", errdefs.InvalidParameter("invalid link format: %s", l)
	}
	return target, alias, nil
}

// normalizeLinks rewrites links the way Docker stores them:
// "/target:/container/alias".
func normalizeLinks(name string, links []string) []string {
	out := make([]string, 0, len(links))
	for _, l := range links {
		target, alias, err := parseLink(l)
		if err != nil {
			out = append(out, l)
			continue
		}
		out = append(out, "/"+target+":"+path.Join(name, alias))
	}
	return out
}

// setupLinks applies --link on the default bridge, Docker's legacy way:
// environment variables, /etc/hosts entries and, with --icc=false, a rule
// letting the two containers talk. On user-defined networks a link is only
// a DNS alias (see dnsView).
func (s *Service) setupLinks(ctx context.Context, c *container.Container, res *netSetup) error {
	if len(c.HostConfig.Links) == 0 || parseNetMode(c.HostConfig.NetworkMode).kind != modeBridge {
		return nil
	}
	for _, l := range c.HostConfig.Links {
		targetName, alias, err := parseLink(l)
		if err != nil {
			return err
		}
		t, err := s.get(targetName)
		if err != nil {
			return errdefs.NotFound("could not get container for %s", targetName)
		}
		if t.ID == c.ID {
			continue
		}
		t.Lock()
		running := t.IsRunning()
		var ip netip.Addr
		for _, ep := range t.Endpoints {
			if ep.NetworkName == network.DefaultNetworkName {
				ip = ep.IPAddress
			}
		}
		env := linkEnv(alias, path.Join(c.Name, alias), ip, t.Config.ExposedPorts, t.Config.Env)
		host := fmt.Sprintf("%s\t%s", ip, strings.Join(uniq(alias, t.Config.Hostname, trimSlash(t.Name)), " "))
		tname := t.Name
		t.Unlock()
		if !running {
			return errdefs.Conflict("Cannot link to a non running container: %s AS %s", tname, path.Join(c.Name, alias))
		}
		if !ip.IsValid() {
			return errdefs.InvalidParameter("Cannot link to %s, as it does not belong to the default network", tname)
		}
		res.env = append(res.env, env...)
		res.hosts = append(res.hosts, host)
		if err := s.net.Link(ctx, c.ID, t.ID); err != nil {
			return fmt.Errorf("link %s: %w", tname, err)
		}
	}
	return nil
}

// linkEnv is what Docker's legacy links put in the environment.
func linkEnv(alias, linkName string, ip netip.Addr, ports networktypes.PortSet, env []string) []string {
	prefix := strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(alias))
	var out []string
	sorted := make([]networktypes.Port, 0, len(ports))
	for p := range ports {
		sorted = append(sorted, p)
	}
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].Num() != sorted[j].Num() {
			return sorted[i].Num() < sorted[j].Num()
		}
		return sorted[i].Proto() < sorted[j].Proto()
	})
	if len(sorted) > 0 {
		p := sorted[0]
		out = append(out, fmt.Sprintf("%s_PORT=%s://%s:%d", prefix, p.Proto(), ip, p.Num()))
	}
	for _, p := range sorted {
		key := fmt.Sprintf("%s_PORT_%d_%s", prefix, p.Num(), strings.ToUpper(string(p.Proto())))
		out = append(out,
			fmt.Sprintf("%s=%s://%s:%d", key, p.Proto(), ip, p.Num()),
			fmt.Sprintf("%s_ADDR=%s", key, ip),
			fmt.Sprintf("%s_PORT=%d", key, p.Num()),
			fmt.Sprintf("%s_PROTO=%s", key, p.Proto()))
	}
	out = append(out, fmt.Sprintf("%s_NAME=%s", prefix, linkName))
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		// Docker skips what the image build sets for everyone.
		if !ok || k == "HOME" || k == "PATH" {
			continue
		}
		out = append(out, fmt.Sprintf("%s_ENV_%s=%s", prefix, k, v))
	}
	return out
}

func uniq(ss ...string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range ss {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// linkAliases maps the aliases of the container's links to the linked
// containers' names, for the embedded DNS server.
func linkAliases(c *container.Container) map[string]string {
	m := map[string]string{}
	for _, l := range c.HostConfig.Links {
		if target, alias, err := parseLink(l); err == nil {
			m[strings.ToLower(alias)] = target
		}
	}
	return m
}
