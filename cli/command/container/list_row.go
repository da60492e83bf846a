package container

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/berth-project/berth/cli/format"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/container"
)

// psRow exposes a container summary to ps templates with docker's field
// names and display rules.
type psRow struct {
	c     container.Summary
	trunc bool
}

// MarshalJSON prints the accessor values for --format json.
func (r *psRow) MarshalJSON() ([]byte, error) { return format.MarshalJSON(r) }

func (r *psRow) ID() string {
	if r.trunc {
		return format.TruncateID(r.c.ID)
	}
	return r.c.ID
}

// Names shows the first plain name when truncating (links like
// "/other/alias" are hidden), all names otherwise.
func (r *psRow) Names() string {
	var names []string
	for _, n := range r.c.Names {
		n = strings.TrimPrefix(n, "/")
		if r.trunc {
			if !strings.Contains(n, "/") {
				return n
			}
			continue
		}
		names = append(names, n)
	}
	return strings.Join(names, ",")
}

func (r *psRow) Image() string {
	img := r.c.Image
	if img == "" {
		return "<no image>"
	}
	if !r.trunc {
		return img
	}
	if t := format.TruncateID(r.c.ImageID); t == format.TruncateID(img) {
		return t
	}
	ref, err := reference.ParseNormalizedNamed(img)
	if err != nil {
		return img
	}
	if _, ok := ref.(reference.Digested); ok {
		tagged, isTagged := ref.(reference.Tagged)
		ref = reference.TrimNamed(ref)
		if isTagged {
			if t, err := reference.WithTag(ref, tagged.Tag()); err == nil {
				ref = t
			}
		}
	}
	return reference.FamiliarString(ref)
}

func (r *psRow) Command() string {
	cmd := r.c.Command
	if r.trunc {
		cmd = format.Ellipsis(cmd, 20)
	}
	return strconv.Quote(cmd)
}

func (r *psRow) CreatedAt() string { return time.Unix(r.c.Created, 0).String() }

func (r *psRow) RunningFor() string {
	return format.HumanDuration(time.Now().UTC().Sub(time.Unix(r.c.Created, 0))) + " ago"
}

func (r *psRow) Ports() string  { return displayPorts(r.c.Ports) }
func (r *psRow) State() string  { return string(r.c.State) }
func (r *psRow) Status() string { return r.c.Status }

func (r *psRow) Size() string {
	rw := format.HumanSize(r.c.SizeRw)
	if r.c.SizeRootFs > 0 {
		return fmt.Sprintf("%s (virtual %s)", rw, format.HumanSize(r.c.SizeRootFs))
	}
	return rw
}

func (r *psRow) Labels() string {
	var kv []string
	for k, v := range r.c.Labels {
		kv = append(kv, k+"="+v)
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}

// Label returns one label's value ({{.Label "key"}}).
func (r *psRow) Label(name string) string { return r.c.Labels[name] }

func (r *psRow) Mounts() string {
	var out []string
	for _, m := range r.c.Mounts {
		n := m.Name
		if n == "" {
			n = m.Source
		}
		if r.trunc {
			n = format.Ellipsis(n, 15)
		}
		out = append(out, n)
	}
	return strings.Join(out, ",")
}

func (r *psRow) LocalVolumes() string {
	n := 0
	for _, m := range r.c.Mounts {
		if m.Driver == "local" {
			n++
		}
	}
	return strconv.Itoa(n)
}

func (r *psRow) Networks() string {
	if r.c.NetworkSettings == nil {
		return ""
	}
	var n []string
	for k := range r.c.NetworkSettings.Networks {
		n = append(n, k)
	}
	sort.Strings(n)
	return strings.Join(n, ",")
}

// displayPorts renders published/exposed ports like docker ps: runs of
// consecutive unpublished ports or identity mappings are grouped
// ("80-81/tcp"), other mappings listed as "0.0.0.0:4000->80/tcp".
func displayPorts(ports []container.PortSummary) string {
	ps := append([]container.PortSummary(nil), ports...)
	sort.Slice(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.PrivatePort != b.PrivatePort {
			return a.PrivatePort < b.PrivatePort
		}
		if a.IP != b.IP {
			return a.IP.Less(b.IP)
		}
		if a.PublicPort != b.PublicPort {
			return a.PublicPort < b.PublicPort
		}
		return a.Type < b.Type
	})
	type span struct{ first, last uint16 }
	groups := map[string]*span{}
	var order, result, mappings []string
	for _, p := range ps {
		key := p.Type
		if p.IP.IsValid() {
			if p.PublicPort != p.PrivatePort {
				mappings = append(mappings, fmt.Sprintf("%s->%d/%s", net.JoinHostPort(p.IP.String(), strconv.Itoa(int(p.PublicPort))), p.PrivatePort, p.Type))
				continue
			}
			key = p.IP.String() + "/" + p.Type
		}
		g := groups[key]
		switch {
		case g == nil:
			groups[key] = &span{p.PrivatePort, p.PrivatePort}
			order = append(order, key)
		case p.PrivatePort == g.last+1:
			g.last = p.PrivatePort
		default:
			result = append(result, portGroup(key, *g))
			groups[key] = &span{p.PrivatePort, p.PrivatePort}
		}
	}
	for _, k := range order {
		result = append(result, portGroup(k, *groups[k]))
	}
	return strings.Join(append(result, mappings...), ", ")
}

func portGroup(key string, s struct{ first, last uint16 }) string {
	ip, proto, hasIP := strings.Cut(key, "/")
	if !hasIP {
		proto, ip = ip, ""
	}
	g := strconv.Itoa(int(s.first))
	if s.first != s.last {
		g += "-" + strconv.Itoa(int(s.last))
	}
	if ip != "" {
		g = net.JoinHostPort(ip, g) + "->" + g
	}
	return g + "/" + proto
}
