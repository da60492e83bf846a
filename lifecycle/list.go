package lifecycle

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	containerrouter "github.com/berth-project/berth/apiserver/router/container"
	"github.com/berth-project/berth/container"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
	"github.com/docker/go-units"
	containertypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	digest "github.com/opencontainers/go-digest"
)

var listFilters = []string{"ancestor", "annotation", "before", "expose", "exited", "health", "id", "isolation", "is-task", "label", "name", "network", "publish", "since", "status", "volume"}

// ContainerList implements GET /containers/json.
func (s *Service) ContainerList(ctx context.Context, opts containerrouter.ListOptions) ([]containertypes.Summary, error) {
	f := opts.Filters
	if err := f.Validate(listFilters...); err != nil {
		return nil, err
	}
	for _, h := range f.Get("health") {
		if containertypes.ValidateHealthStatus(containertypes.HealthStatus(h)) != nil {
			return nil, errdefs.InvalidParameter("Unrecognised filter value for health: %s", h)
		}
	}
	for _, st := range f.Get("status") {
		if err := containertypes.ValidateContainerState(containertypes.ContainerState(st)); err != nil {
			return nil, errdefs.InvalidParameter("invalid filter 'status=%s'", st)
		}
	}
	var exited []int
	for _, v := range f.Get("exited") {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, errdefs.InvalidParameter("invalid filter 'exited=%s'", v)
		}
		exited = append(exited, n)
	}
	before, err := s.boundary(f, "before")
	if err != nil {
		return nil, err
	}
	since, err := s.boundary(f, "since")
	if err != nil {
		return nil, err
	}
	ancestors := s.ancestorIDs(f.Get("ancestor"))

	all := s.store.List() // newest first
	linkNames := s.linkNames(all)
	var out []containertypes.Summary
	for _, c := range all {
		c.Lock()
		if !before.IsZero() && !c.Created.Before(before) {
			c.Unlock()
			continue
		}
		if !since.IsZero() && !c.Created.After(since) {
			c.Unlock()
			continue
		}
		ok := s.matches(c, opts, f, exited, ancestors)
		var sum containertypes.Summary
		if ok {
			sum = summary(c)
			sum.Names = append(sum.Names, linkNames[c.ID]...)
		}
		c.Unlock()
		if !ok {
			continue
		}
		if opts.Size {
			rw, root := s.sizes(c)
			sum.SizeRw, sum.SizeRootFs = rw, root
		}
		out = append(out, sum)
		if opts.Limit > 0 && len(out) >= opts.Limit {
			break
		}
	}
	if out == nil {
		out = []containertypes.Summary{}
	}
	return out, nil
}

// linkNames maps a container ID to the names its --link parents gave it
// ("/parent/alias"), which Docker lists among the container's Names.
func (s *Service) linkNames(all []*container.Container) map[string][]string {
	var out map[string][]string
	for _, c := range all {
		c.Lock()
		links := slices.Clone(c.HostConfig.Links)
		c.Unlock()
		for _, l := range links {
			target, name, ok := strings.Cut(l, ":") // stored as "/target:/parent/alias"
			if !ok {
				continue
			}
			t, err := s.get(strings.TrimPrefix(target, "/"))
			if err != nil {
				continue
			}
			if out == nil {
				out = map[string][]string{}
			}
			out[t.ID] = append(out[t.ID], name)
		}
	}
	for _, names := range out {
		sort.Strings(names)
	}
	return out
}

func (s *Service) boundary(f filters.Args, name string) (time.Time, error) {
	vals := f.Get(name)
	if len(vals) == 0 {
		return time.Time{}, nil
	}
	c, err := s.get(vals[0])
	if err != nil {
		return time.Time{}, err
	}
	return c.Created, nil
}

// ancestorIDs resolves ancestor filter values to image IDs; an image that
// does not exist matches nothing (Docker ignores it).
func (s *Service) ancestorIDs(refs []string) map[string]bool {
	if len(refs) == 0 {
		return nil
	}
	ids := map[string]bool{}
	for _, r := range refs {
		if img, err := s.images.Resolve(r); err == nil {
			ids[img.ID.String()] = true
		}
		ids["ref:"+r] = true
	}
	return ids
}

// matches applies the list filters; called with c locked.
func (s *Service) matches(c *container.Container, opts containerrouter.ListOptions, f filters.Args, exited []int, ancestors map[string]bool) bool {
	status := string(displayStatus(c))
	// A limit (ps -n, ps -l) counts stopped containers too, and a
	// restarting container counts as running (ps shows it), as in Docker.
	if !opts.All && opts.Limit <= 0 && !c.IsRunning() && c.State.Status != containertypes.StateRestarting && !f.Contains("status") && !f.Contains("exited") {
		return false
	}
	if !f.ExactMatch("status", status) {
		return false
	}
	if len(exited) > 0 {
		if c.State.Status != containertypes.StateExited {
			return false
		}
		hit := false
		for _, e := range exited {
			hit = hit || e == c.State.ExitCode
		}
		if !hit {
			return false
		}
	}
	// Docker matches both as regular expressions, the name with its
	// leading slash (so "name=^/web$" is an exact match).
	if !f.Match("name", "/"+trimSlash(c.Name)) {
		return false
	}
	if !f.Match("id", c.ID) {
		return false
	}
	if !f.MatchKVList("label", c.Config.Labels) {
		return false
	}
	if !f.MatchKVList("annotation", c.HostConfig.Annotations) {
		return false
	}
	if ancestors != nil && !ancestors[c.ImageID] && !ancestors["ref:"+c.Image] {
		return false
	}
	if f.Contains("network") {
		mode := string(c.HostConfig.NetworkMode)
		if mode == "" || mode == "default" {
			mode = "bridge"
		}
		if !f.ExactMatch("network", mode) {
			return false
		}
	}
	if f.Contains("publish") || f.Contains("expose") {
		if !matchPorts(c, f) {
			return false
		}
	}
	if f.Contains("health") && !f.ExactMatch("health", healthStatus(c)) {
		return false
	}
	if vols := f.Get("volume"); len(vols) > 0 && !slices.ContainsFunc(vols, func(v string) bool { return mountedVolume(c, v) }) {
		return false
	}
	if v, present, _ := f.GetBool("is-task"); present && v {
		return false
	}
	return true
}

func matchPorts(c *container.Container, f filters.Args) bool {
	for _, want := range f.Get("publish") {
		hit := false
		for p, bs := range c.Ports {
			for _, b := range bs {
				if want == b.HostPort || want == b.HostPort+"/"+string(p.Proto()) {
					hit = true
				}
			}
		}
		if !hit {
			return false
		}
	}
	for _, want := range f.Get("expose") {
		hit := false
		for p := range c.Config.ExposedPorts {
			if want == p.String() || want == strconv.Itoa(int(p.Num())) {
				hit = true
			}
		}
		if !hit {
			return false
		}
	}
	return true
}

// summary builds the /containers/json row; called with c locked.
func summary(c *container.Container) containertypes.Summary {
	cmd := strings.Join(append([]string{c.Path}, c.Args...), " ")
	sum := containertypes.Summary{
		ID:      c.ID,
		Names:   []string{c.Name},
		Image:   c.Image,
		ImageID: c.ImageID,
		Command: cmd,
		Created: c.Created.Unix(),
		Ports:   portSummaries(c),
		Labels:  c.Config.Labels,
		State:   displayStatus(c),
		Status:  statusText(c),
		Mounts:  apiMounts(c),
	}
	if h := c.State.Health; h != nil {
		sum.Health = &containertypes.HealthSummary{Status: h.Status, FailingStreak: h.FailingStreak}
	}
	mode := string(c.HostConfig.NetworkMode)
	if mode == "" || mode == "default" {
		mode = "bridge"
	}
	sum.HostConfig.NetworkMode = mode
	ns := networkSettings(c, "")
	sum.NetworkSettings = &containertypes.NetworkSettingsSummary{Networks: ns.Networks}
	return sum
}

func portSummaries(c *container.Container) []containertypes.PortSummary {
	out := []containertypes.PortSummary{}
	seen := map[network.Port]bool{}
	for p, bs := range c.Ports {
		seen[p] = true
		for _, b := range bs {
			hp, _ := strconv.Atoi(b.HostPort)
			out = append(out, containertypes.PortSummary{IP: b.HostIP, PrivatePort: p.Num(), PublicPort: uint16(hp), Type: string(p.Proto())})
		}
		if len(bs) == 0 {
			out = append(out, containertypes.PortSummary{PrivatePort: p.Num(), Type: string(p.Proto())})
		}
	}
	for p := range c.Config.ExposedPorts {
		if !seen[p] {
			out = append(out, containertypes.PortSummary{PrivatePort: p.Num(), Type: string(p.Proto())})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].PrivatePort != out[j].PrivatePort {
			return out[i].PrivatePort < out[j].PrivatePort
		}
		return out[i].IP.String() < out[j].IP.String()
	})
	return out
}

// statusText is Docker's human status: "Up 3 minutes", "Exited (0) 2
// seconds ago", "Created", "Up 1 second (Paused)".
func statusText(c *container.Container) string { return statusAt(c.State, time.Now()) }

func statusAt(st container.State, now time.Time) string {
	switch {
	case st.Removing:
		return "Removal In Progress"
	case st.Status == containertypes.StateRunning && st.Health != nil:
		return "Up " + units.HumanDuration(now.Sub(st.StartedAt)) + " (" + container.HealthString(st.Health) + ")"
	case st.Status == containertypes.StateRunning:
		return "Up " + units.HumanDuration(now.Sub(st.StartedAt))
	case st.Status == containertypes.StatePaused:
		return "Up " + units.HumanDuration(now.Sub(st.StartedAt)) + " (Paused)"
	case st.Status == containertypes.StateRestarting:
		return "Restarting (" + strconv.Itoa(st.ExitCode) + ") " + units.HumanDuration(now.Sub(st.FinishedAt)) + " ago"
	case st.Status == containertypes.StateDead:
		return "Dead"
	case st.Status == containertypes.StateExited && !st.FinishedAt.IsZero():
		return "Exited (" + strconv.Itoa(st.ExitCode) + ") " + units.HumanDuration(now.Sub(st.FinishedAt)) + " ago"
	}
	return "Created"
}

func parseDigest(s string) (digest.Digest, error) { return digest.Parse(s) }
