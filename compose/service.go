package compose

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// Service runs compose operations against one engine.
type Service struct {
	API      client.APIClient
	Progress Progress
}

// New returns a Service over api reporting to p (nil: silent).
func New(api client.APIClient, p Progress) *Service {
	if p == nil {
		p = noProgress{}
	}
	return &Service{API: api, Progress: p}
}

func (s *Service) event(id, status string) { s.Progress.Event(id, status) }

// Oneoff selects which containers a listing returns.
type Oneoff int

const (
	// OneoffExclude lists service containers only (the default).
	OneoffExclude Oneoff = iota
	// OneoffInclude lists `run` containers too.
	OneoffInclude
	// OneoffOnly lists `run` containers only.
	OneoffOnly
)

func projectFilter(project string) client.Filters {
	return client.Filters{}.Add("label", ProjectLabel+"="+project)
}

// Containers lists the project's containers (all states when all), for the
// given services (none: every service), sorted by service then number.
func (s *Service) Containers(ctx context.Context, project string, oneoff Oneoff, all bool, services ...string) ([]container.Summary, error) {
	f := projectFilter(project)
	switch oneoff {
	case OneoffExclude:
		f = f.Add("label", OneoffLabel+"=False")
	case OneoffOnly:
		f = f.Add("label", OneoffLabel+"=True")
	}
	if len(services) == 1 {
		f = f.Add("label", ServiceLabel+"="+services[0])
	}
	res, err := s.API.ContainerList(ctx, client.ContainerListOptions{All: all, Filters: f})
	if err != nil {
		return nil, err
	}
	var out []container.Summary
	for _, c := range res.Items {
		if len(services) > 1 && !contains(services, c.Labels[ServiceLabel]) {
			continue
		}
		out = append(out, c)
	}
	sortContainers(out)
	return out, nil
}

func sortContainers(cs []container.Summary) {
	sort.SliceStable(cs, func(i, j int) bool {
		si, sj := cs[i].Labels[ServiceLabel], cs[j].Labels[ServiceLabel]
		if si != sj {
			return si < sj
		}
		ni, _ := strconv.Atoi(cs[i].Labels[ContainerNumberLabel])
		nj, _ := strconv.Atoi(cs[j].Labels[ContainerNumberLabel])
		if ni != nj {
			return ni < nj
		}
		return Name(cs[i]) < Name(cs[j])
	})
}

// Name is a container's name without the leading slash.
func Name(c container.Summary) string {
	if len(c.Names) == 0 {
		return c.ID[:12]
	}
	// Linked containers carry extra names ("/a/b"); the canonical one has
	// a single path element.
	for _, n := range c.Names {
		if strings.Count(n, "/") == 1 {
			return strings.TrimPrefix(n, "/")
		}
	}
	return strings.TrimPrefix(c.Names[0], "/")
}

// ContainerName is the name Compose gives replica number of a service
// (container_name wins when set).
func ContainerName(project, service string, number int) string {
	return strings.Join([]string{project, service, strconv.Itoa(number)}, Separator)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// number reads the replica number label (0 when absent or bad).
func number(c container.Summary) int {
	n, _ := strconv.Atoi(c.Labels[ContainerNumberLabel])
	return n
}

// Orphans are the project's containers whose service the file no longer
// declares.
func orphans(cs []container.Summary, known []string) []container.Summary {
	var out []container.Summary
	for _, c := range cs {
		if !contains(known, c.Labels[ServiceLabel]) {
			out = append(out, c)
		}
	}
	return out
}

func names(cs []container.Summary) []string {
	var out []string
	for _, c := range cs {
		out = append(out, Name(c))
	}
	return out
}

func errNoContainer(service string) error {
	return fmt.Errorf("service %q is not running", service)
}

// ShortNames are the containers' names (for prompts).
func ShortNames(cs []container.Summary) []string { return names(cs) }
