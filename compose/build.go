package compose

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
)

// BuildOptions are compose build's flags (and up --build's).
type BuildOptions struct {
	Services []string // none: every service with a build section
	NoCache  bool
	Pull     bool
	Quiet    bool
	Args     map[string]string // --build-arg, over the file's args
	Out      io.Writer         // build output; nil: discarded
}

// Build builds the services' images through POST /build with a tar of
// each context (the classic builder protocol, which is what our engine
// and docker-compose v1 speak).
func (s *Service) Build(ctx context.Context, p *types.Project, o BuildOptions) error {
	names := o.Services
	if len(names) == 0 {
		names = p.ServicesWithBuild()
	}
	for _, name := range names {
		svc, ok := p.Services[name]
		if !ok || svc.Build == nil {
			continue
		}
		if err := s.buildOne(ctx, p, svc, o); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) buildOne(ctx context.Context, p *types.Project, svc types.ServiceConfig, o BuildOptions) error {
	b := svc.Build
	image := ImageName(p.Name, svc)
	id := "Image " + image
	out := o.Out
	if out == nil || o.Quiet {
		out = io.Discard
	}
	s.event(id, "Building")
	dockerfile, inline := b.Dockerfile, b.DockerfileInline
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	if filepath.IsAbs(dockerfile) {
		if rel, err := filepath.Rel(b.Context, dockerfile); err == nil && !strings.HasPrefix(rel, "..") {
			dockerfile = rel
		} else {
			// Outside the context: ship it inside the tar under a name
			// of its own, as docker build -f does.
			inline = ""
			data, err := readFile(dockerfile)
			if err != nil {
				return fmt.Errorf("failed to solve: failed to read dockerfile: %w", err)
			}
			inline = data
		}
	}
	if inline != "" {
		dockerfile = ".dockerfile." + svc.Name
	}
	tarball, err := contextTar(b.Context, dockerfile, inline)
	if err != nil {
		s.event(id, "Error")
		return fmt.Errorf("failed to solve: %w", err)
	}
	args := map[string]*string{}
	for k, v := range b.Args {
		args[k] = v
	}
	for k, v := range o.Args {
		args[k] = &v
	}
	labels := map[string]string{}
	for k, v := range b.Labels {
		labels[k] = v
	}
	labels["com.docker.compose.project"] = p.Name
	labels["com.docker.compose.service"] = svc.Name
	labels["com.docker.compose.version"] = ComposeVersion
	opts := client.ImageBuildOptions{
		Tags:        append([]string{image}, b.Tags...),
		Dockerfile:  dockerfile,
		BuildArgs:   args,
		Labels:      labels,
		Target:      b.Target,
		NoCache:     o.NoCache || b.NoCache,
		PullParent:  o.Pull || b.Pull,
		NetworkMode: b.Network,
		ExtraHosts:  b.ExtraHosts.AsList(":"),
		ShmSize:     int64(b.ShmSize),
		CacheFrom:   b.CacheFrom,
		Remove:      true,
		ForceRemove: true,
	}
	res, err := s.API.ImageBuild(ctx, tarball, opts)
	if err != nil {
		s.event(id, "Error")
		return fmt.Errorf("failed to build service %q: %w", svc.Name, err)
	}
	defer res.Body.Close()
	dec := json.NewDecoder(res.Body)
	for {
		var m jsonstream.Message
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			s.event(id, "Error")
			return fmt.Errorf("failed to build service %q: %w", svc.Name, err)
		}
		if m.Error != nil {
			s.event(id, "Error")
			return fmt.Errorf("failed to build service %q: %s", svc.Name, m.Error.Message)
		}
		if m.Stream != "" {
			_, _ = io.WriteString(out, m.Stream)
		}
	}
	s.event(id, "Built")
	return nil
}
