package lifecycle

import (
	"context"
	"fmt"
	"strings"
	"time"

	containerrouter "github.com/berth-project/berth/apiserver/router/container"
	"github.com/berth-project/berth/image"
	containertypes "github.com/moby/moby/api/types/container"
	digest "github.com/opencontainers/go-digest"
)

// ContainerCommit implements POST /commit.
func (s *Service) ContainerCommit(ctx context.Context, name string, opts containerrouter.CommitOptions) (string, error) {
	defer s.observe("commit", time.Now())
	c, err := s.get(name)
	if err != nil {
		return "", err
	}
	c.Lock()
	running := c.State.Status == containertypes.StateRunning
	cfg := *c.Config
	parent := c.ImageID
	path, args := c.Path, c.Args
	c.Unlock()
	if opts.Pause && running {
		if err := s.ContainerPause(ctx, c.ID); err == nil {
			defer s.ContainerUnpause(context.WithoutCancel(ctx), c.ID)
		}
	}
	if opts.Config != nil {
		cfg = mergeCommitConfig(cfg, opts.Config)
	}
	// The hostname is the container's, not the image's (Docker clears it
	// only if it was generated).
	if cfg.Hostname == c.ID[:12] {
		cfg.Hostname = ""
	}
	tar, err := s.layers.DiffTar(c.ID)
	if err != nil {
		return "", err
	}
	defer tar.Close()
	pd, _ := digest.Parse(parent)
	createdBy := strings.TrimSpace(path + " " + strings.Join(args, " "))
	id, err := s.images.Commit(ctx, image.CommitRequest{
		Parent:          pd,
		LayerTar:        tar,
		Config:          &cfg,
		ContainerID:     c.ID,
		ContainerConfig: c.Config,
		Author:          opts.Author,
		Comment:         opts.Comment,
		Changes:         opts.Changes,
		Repo:            opts.Repo,
		Tag:             opts.Tag,
		CreatedBy:       createdBy,
	})
	if err != nil {
		return "", fmt.Errorf("commit %s: %w", c.ShortID(), err)
	}
	s.logEvent(c, "commit", map[string]string{"comment": opts.Comment})
	return id.String(), nil
}

// mergeCommitConfig overlays fields set in the request's config.
func mergeCommitConfig(base containertypes.Config, over *containertypes.Config) containertypes.Config {
	if len(over.Cmd) > 0 {
		base.Cmd = over.Cmd
	}
	if len(over.Entrypoint) > 0 {
		base.Entrypoint = over.Entrypoint
	}
	if len(over.Env) > 0 {
		base.Env = mergeEnv(base.Env, over.Env)
	}
	if over.WorkingDir != "" {
		base.WorkingDir = over.WorkingDir
	}
	if over.User != "" {
		base.User = over.User
	}
	if len(over.ExposedPorts) > 0 {
		base.ExposedPorts = over.ExposedPorts
	}
	for k, v := range over.Labels {
		if base.Labels == nil {
			base.Labels = map[string]string{}
		}
		base.Labels[k] = v
	}
	if over.StopSignal != "" {
		base.StopSignal = over.StopSignal
	}
	return base
}
