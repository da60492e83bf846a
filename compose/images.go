package compose

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/compose-spec/compose-go/v2/types"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// ensureImages makes every service's image present: building those with a
// build section (always with --build, else when missing), pulling the
// others when missing. It returns each service's image ID.
func (s *Service) ensureImages(ctx context.Context, p *types.Project, o CreateOptions) (map[string]string, error) {
	var toBuild []string
	for _, name := range p.ServiceNames() {
		svc := p.Services[name]
		if svc.Build == nil {
			continue
		}
		if o.Build != nil || svc.PullPolicy == types.PullPolicyBuild {
			toBuild = append(toBuild, name)
			continue
		}
		if _, err := s.API.ImageInspect(ctx, ImageName(p.Name, svc)); err != nil {
			if !cerrdefs.IsNotFound(err) {
				return nil, err
			}
			if o.NoBuild {
				return nil, fmt.Errorf("service %q has neither an image nor a build context specified: image %s not found", name, ImageName(p.Name, svc))
			}
			toBuild = append(toBuild, name)
		}
	}
	if len(toBuild) > 0 {
		bo := BuildOptions{}
		if o.Build != nil {
			bo = *o.Build
		}
		bo.Services = toBuild
		if err := s.Build(ctx, p, bo); err != nil {
			return nil, err
		}
	}
	ids := map[string]string{}
	for _, name := range p.ServiceNames() {
		svc := p.Services[name]
		ref := ImageName(p.Name, svc)
		inspect, err := s.API.ImageInspect(ctx, ref)
		if err == nil && svc.PullPolicy != types.PullPolicyAlways {
			ids[name] = inspect.ID
			continue
		}
		if err != nil && !cerrdefs.IsNotFound(err) {
			return nil, err
		}
		if svc.Build != nil {
			return nil, fmt.Errorf("image %s for service %s was not built", ref, name)
		}
		if svc.PullPolicy == types.PullPolicyNever {
			return nil, fmt.Errorf("Error response from daemon: No such image: %s", ref)
		}
		if err := s.pullOne(ctx, name, ref, o.QuietPull); err != nil {
			return nil, err
		}
		if inspect, err = s.API.ImageInspect(ctx, ref); err != nil {
			return nil, err
		}
		ids[name] = inspect.ID
	}
	return ids, nil
}

// PullOptions are compose pull's flags.
type PullOptions struct {
	Quiet          bool
	IgnoreFailures bool
	IncludeDeps    bool
}

// Pull pulls the images of the services that have an image key.
func (s *Service) Pull(ctx context.Context, p *types.Project, o PullOptions) error {
	var errs []error
	seen := map[string]string{}
	for _, name := range p.ServiceNames() {
		svc := p.Services[name]
		if svc.Image == "" {
			s.Progress.Text(name, "Skipped - No image to be pulled")
			continue
		}
		if by, ok := seen[svc.Image]; ok {
			s.Progress.Text(name, "Skipped - Image is already being pulled by "+by)
			continue
		}
		seen[svc.Image] = name
		if err := s.pullOne(ctx, name, svc.Image, o.Quiet); err != nil {
			if svc.Build != nil || o.IgnoreFailures {
				warnf("%s", err)
				continue
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *Service) pullOne(ctx context.Context, service, ref string, quiet bool) error {
	s.Progress.Text(service, "Pulling")
	resp, err := s.API.ImagePull(ctx, ref, client.ImagePullOptions{})
	if err == nil {
		err = drainJSON(ctx, resp, resp.JSONMessages, io.Discard)
	}
	if err != nil {
		s.Progress.Text(service, "Error")
		return fmt.Errorf("Error response from daemon: %w", unwrapDaemon(err))
	}
	s.Progress.Text(service, "Pulled")
	return nil
}

// PushOptions are compose push's flags.
type PushOptions struct {
	IgnoreFailures bool
	Quiet          bool
}

// Push pushes the images of the services that have an image key.
func (s *Service) Push(ctx context.Context, p *types.Project, o PushOptions) error {
	var errs []error
	seen := map[string]bool{}
	for _, name := range p.ServiceNames() {
		svc := p.Services[name]
		// Services sharing an image push it once.
		if svc.Image == "" || seen[svc.Image] {
			continue
		}
		seen[svc.Image] = true
		s.event("Image "+svc.Image, "Pushing")
		resp, err := s.API.ImagePush(ctx, svc.Image, client.ImagePushOptions{RegistryAuth: "e30="})
		if err == nil {
			err = drainJSON(ctx, resp, resp.JSONMessages, io.Discard)
		}
		if err != nil {
			s.event("Image "+svc.Image, "Error")
			if o.IgnoreFailures {
				continue
			}
			errs = append(errs, fmt.Errorf("Error response from daemon: %w", unwrapDaemon(err)))
			continue
		}
		s.event("Image "+svc.Image, "Pushed")
	}
	return errors.Join(errs...)
}
