package compose

import (
	"context"
	"fmt"

	"github.com/compose-spec/compose-go/v2/graph"
	"github.com/compose-spec/compose-go/v2/types"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// DownOptions are compose down's flags.
type DownOptions struct {
	RemoveOrphans bool
	Volumes       bool   // -v: named volumes declared in the file, and anonymous ones
	Images        string // --rmi: "", "local" or "all"
	Timeout       *int
	// Services limits down to these services' containers; the project's
	// networks and volumes stay for the rest.
	Services []string
}

// Down removes the project's containers, networks and (on request)
// volumes and images. p may be nil when no compose file is at hand: then
// everything labelled with the project name goes.
func (s *Service) Down(ctx context.Context, project string, p *types.Project, o DownOptions) error {
	all, err := s.Containers(ctx, project, OneoffInclude, true)
	if err != nil {
		return err
	}
	if len(o.Services) > 0 {
		var sel []container.Summary
		for _, c := range all {
			if contains(o.Services, c.Labels[ServiceLabel]) {
				sel = append(sel, c)
			}
		}
		return s.removeContainers(ctx, sel, o.Timeout, o.Volumes)
	}
	removed := 0
	if p != nil {
		known := append(p.ServiceNames(), p.DisabledServiceNames()...)
		orph := orphans(all, known)
		if len(orph) > 0 {
			if o.RemoveOrphans {
				if err := s.removeContainers(ctx, orph, o.Timeout, o.Volumes); err != nil {
					return err
				}
				removed += len(orph)
			} else {
				warnf("Found orphan containers (%v) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.", names(orph))
			}
		}
		// Dependents go first.
		err = graph.InDependencyOrder(ctx, p, func(ctx context.Context, name string, _ types.ServiceConfig) error {
			var cs []container.Summary
			for _, c := range all {
				if c.Labels[ServiceLabel] == name {
					cs = append(cs, c)
				}
			}
			removed += len(cs)
			return s.removeContainers(ctx, cs, o.Timeout, o.Volumes)
		}, graph.InReverseOrder)
		if err != nil {
			return err
		}
	} else {
		if err := s.removeContainers(ctx, all, o.Timeout, o.Volumes); err != nil {
			return err
		}
		removed += len(all)
	}

	n, err := s.removeNetworks(ctx, project, p)
	if err != nil {
		return err
	}
	removed += n
	if o.Volumes {
		n, err := s.removeVolumes(ctx, project, p)
		if err != nil {
			return err
		}
		removed += n
	}
	if o.Images != "" {
		n, err := s.removeImages(ctx, project, p, all, o.Images)
		if err != nil {
			return err
		}
		removed += n
	}
	if removed == 0 {
		fmt.Fprintf(Warn, "Warning: No resource found to remove for project %q.\n", project)
	}
	return nil
}

func (s *Service) removeNetworks(ctx context.Context, project string, p *types.Project) (int, error) {
	res, err := s.API.NetworkList(ctx, client.NetworkListOptions{Filters: projectFilter(project)})
	if err != nil {
		return 0, err
	}
	var want map[string]bool
	if p != nil {
		want = map[string]bool{}
		for _, nw := range p.Networks {
			if !nw.External {
				want[nw.Name] = true
			}
		}
	}
	n := 0
	for _, nw := range res.Items {
		if want != nil && !want[nw.Name] {
			continue
		}
		s.event(networkID(nw.Name), "Removing")
		if _, err := s.API.NetworkRemove(ctx, nw.ID, client.NetworkRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
			s.event(networkID(nw.Name), "Error")
			return n, fmt.Errorf("Error response from daemon: %w", unwrapDaemon(err))
		}
		s.event(networkID(nw.Name), "Removed")
		n++
	}
	return n, nil
}

func (s *Service) removeVolumes(ctx context.Context, project string, p *types.Project) (int, error) {
	res, err := s.API.VolumeList(ctx, client.VolumeListOptions{Filters: projectFilter(project)})
	if err != nil {
		return 0, err
	}
	var want map[string]bool
	if p != nil {
		want = map[string]bool{}
		for _, v := range p.Volumes {
			if !v.External {
				want[v.Name] = true
			}
		}
	}
	n := 0
	for _, v := range res.Items {
		if want != nil && !want[v.Name] {
			continue
		}
		id := "Volume " + v.Name
		s.event(id, "Removing")
		if _, err := s.API.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
			s.event(id, "Error")
			return n, fmt.Errorf("Error response from daemon: %w", unwrapDaemon(err))
		}
		s.event(id, "Removed")
		n++
	}
	return n, nil
}

// removeImages is --rmi: "local" removes the images Compose named itself
// (built services without an image key), "all" every service image.
func (s *Service) removeImages(ctx context.Context, project string, p *types.Project, cs []container.Summary, mode string) (int, error) {
	seen := map[string]bool{}
	var refs []string
	add := func(r string) {
		if r != "" && !seen[r] {
			seen[r] = true
			refs = append(refs, r)
		}
	}
	if p != nil {
		for _, name := range p.ServiceNames() {
			svc := p.Services[name]
			if mode == "all" || svc.Image == "" {
				add(ImageName(p.Name, svc))
			}
		}
	} else {
		for _, c := range cs {
			if mode == "all" || c.Image == project+Separator+c.Labels[ServiceLabel] {
				add(c.Image)
			}
		}
	}
	n := 0
	for _, r := range refs {
		id := "Image " + r
		s.event(id, "Removing")
		if _, err := s.API.ImageRemove(ctx, r, client.ImageRemoveOptions{}); err != nil {
			if cerrdefs.IsNotFound(err) {
				s.event(id, "Removed")
				continue
			}
			s.event(id, "Error")
			return n, fmt.Errorf("Error response from daemon: %w", unwrapDaemon(err))
		}
		s.event(id, "Removed")
		n++
	}
	return n, nil
}
