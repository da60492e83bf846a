package compose

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/compose-spec/compose-go/v2/types"
)

// RunOptions describe a one-off container (compose run).
type RunOptions struct {
	Service      string
	Command      []string // nil: the service's
	Entrypoint   []string // nil: the service's
	Name         string   // --name; empty: <project>-<service>-run-<slug>
	Env          []string // -e KEY=VAL or KEY (from the environment)
	Labels       map[string]string
	User         string
	WorkingDir   string
	Volumes      []types.ServiceVolumeConfig
	Ports        []types.ServicePortConfig // -p
	ServicePorts bool                      // --service-ports
	Tty          bool
	Interactive  bool
	NoDeps       bool
	Rm           bool
	UseAliases   bool
}

// RunDependencies creates and starts what the service depends on (as
// compose run does unless --no-deps), or only its networks and volumes.
func (s *Service) RunDependencies(ctx context.Context, p *types.Project, o RunOptions, co CreateOptions) error {
	svc, err := p.GetService(o.Service)
	if err != nil {
		return err
	}
	var deps []string
	if !o.NoDeps {
		deps = svc.GetDependencies()
	}
	if len(deps) == 0 {
		if err := s.ensureNetworks(ctx, p); err != nil {
			return err
		}
		return s.ensureVolumes(ctx, p)
	}
	dp, err := p.WithSelectedServices(deps)
	if err != nil {
		return err
	}
	// The run service's own network and volumes are needed too.
	dp.Networks, dp.Volumes = p.Networks, p.Volumes
	co.IgnoreOrphans = true
	if err := s.Create(ctx, dp, co); err != nil {
		return err
	}
	if err := s.ensureNetworks(ctx, p); err != nil {
		return err
	}
	if err := s.ensureVolumes(ctx, p); err != nil {
		return err
	}
	return s.Start(ctx, dp, StartOptions{})
}

// CreateOneOff creates the run container and returns its ID and name.
func (s *Service) CreateOneOff(ctx context.Context, p *types.Project, o RunOptions) (string, string, error) {
	svc, err := p.GetService(o.Service)
	if err != nil {
		return "", "", err
	}
	images, err := s.ensureImages(ctx, p.WithServicesDisabled(otherThan(p, o.Service)...), CreateOptions{})
	if err != nil {
		return "", "", err
	}
	if o.Command != nil {
		svc.Command = o.Command
	}
	if o.Entrypoint != nil {
		svc.Entrypoint = o.Entrypoint
	}
	if o.User != "" {
		svc.User = o.User
	}
	if o.WorkingDir != "" {
		svc.WorkingDir = o.WorkingDir
	}
	env := types.NewMappingWithEquals(o.Env)
	if svc.Environment == nil {
		svc.Environment = types.MappingWithEquals{}
	}
	for k, v := range env.Resolve(func(k string) (string, bool) { v, ok := p.Environment[k]; return v, ok }) {
		svc.Environment[k] = v
	}
	svc.Volumes = append(svc.Volumes, o.Volumes...)
	if !o.ServicePorts {
		svc.Ports = nil
	}
	svc.Ports = append(svc.Ports, o.Ports...)
	svc.Tty = o.Tty
	svc.StdinOpen = o.Interactive
	svc.Restart = ""
	svc.Deploy = nil
	svc.ContainerName = ""
	if !o.UseAliases {
		for k, n := range svc.Networks {
			if n != nil {
				c := *n
				c.Aliases = nil
				svc.Networks[k] = &c
			}
		}
	}
	slug := randomHex(32)
	name := o.Name
	if name == "" {
		name = fmt.Sprintf("%s%s%s%srun%s%s", p.Name, Separator, svc.Name, Separator, Separator, slug[:12])
	}
	hash, err := ServiceHash(svc)
	if err != nil {
		return "", "", err
	}
	spec, err := toCreate(p, svc, 1, name, hash, true, func(dep string) (string, error) {
		cs, err := s.Containers(ctx, p.Name, OneoffExclude, false, dep)
		if err != nil || len(cs) == 0 {
			return "", fmt.Errorf("service %q has no running container", dep)
		}
		return Name(cs[0]), nil
	})
	if err != nil {
		return "", "", err
	}
	spec.Config.Labels[SlugLabel] = slug
	for k, v := range o.Labels {
		spec.Config.Labels[k] = v
	}
	if id := images[svc.Name]; id != "" {
		spec.Config.Labels[ImageDigestLabel] = id
	}
	if !o.UseAliases && spec.Networking != nil {
		for _, ep := range spec.Networking.EndpointsConfig {
			ep.Aliases = nil
		}
	}
	spec.Config.AttachStdin = o.Interactive
	spec.Config.OpenStdin = o.Interactive
	spec.Config.StdinOnce = o.Interactive
	spec.Host.AutoRemove = false
	id, err := s.createContainer(ctx, p, svc, spec)
	if err != nil {
		return "", "", err
	}
	return id, name, nil
}

func otherThan(p *types.Project, keep string) []string {
	var out []string
	for _, n := range p.ServiceNames() {
		if n != keep {
			out = append(out, n)
		}
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
