package image

import (
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/container"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// commit implements Service.Commit like Docker's CreateImageFromContainer
// and NewChildImage: the config is req.Config (or the container's config)
// with Changes applied and then merged with the container's config (or the
// parent's, when no container config is given); rootfs and history extend
// the parent's.
func (s *Service) commit(ctx context.Context, req CommitRequest) (digest.Digest, error) {
	var named reference.Named
	if req.Repo != "" {
		var err error
		if named, err = newTagRef(req.Repo, req.Tag); err != nil {
			return "", err
		}
	}
	parent := &imageConfig{}
	if req.Parent != "" {
		p, err := s.config(req.Parent)
		if err != nil {
			return "", err
		}
		parent = p
	}
	base := req.ContainerConfig
	if base == nil {
		base = toContainerConfig(parent.Config)
	}
	cfg := cloneConfig(req.Config)
	if cfg == nil {
		cfg = cloneConfig(base)
	}
	if !req.Exact {
		if err := ApplyChanges(cfg, req.Changes); err != nil {
			return "", err
		}
		mergeConfig(cfg, base)
	}

	diffIDs := append([]digest.Digest(nil), parent.diffIDs()...)
	layers := s.parentLayers(req.Parent, parent)
	empty := req.EmptyLayer || req.LayerTar == nil
	var newChain digest.Digest
	if !empty {
		info, size, isNew, err := s.registerLayer(req.LayerTar, parent.chainID())
		if err != nil {
			return "", err
		}
		if isNew {
			newChain = info.ChainID
		}
		if info.DiffID == emptyLayerDiffID {
			// Nothing changed: Docker records an empty layer instead.
			empty = true
			if newChain != "" {
				s.dropLayers([]digest.Digest{newChain})
				newChain = ""
			}
		} else {
			diffIDs = append(diffIDs, info.DiffID)
			layers = append(layers, layerDesc{DiffID: info.DiffID, Size: size})
		}
	}

	created := time.Now().UTC()
	createdBy := req.CreatedBy
	if createdBy == "" && req.ContainerConfig != nil {
		createdBy = strings.Join(req.ContainerConfig.Cmd, " ")
	}
	img := imageConfig{
		Comment:         req.Comment,
		Container:       req.ContainerID,
		ContainerConfig: req.ContainerConfig,
		Parent:          req.Parent,
	}
	img.Created = &created
	img.Author = req.Author
	img.Architecture = parent.Architecture
	if img.Architecture == "" {
		img.Architecture = runtime.GOARCH
	}
	img.Variant = parent.Variant
	img.OS = "linux"
	img.OSVersion = parent.OSVersion
	img.OSFeatures = parent.OSFeatures
	img.Config = toImageConfig(cfg)
	img.RootFS = ocispec.RootFS{Type: "layers", DiffIDs: diffIDs}
	img.History = append(append([]ocispec.History(nil), parent.History...), ocispec.History{
		Created: &created, CreatedBy: createdBy, Author: req.Author, Comment: req.Comment, EmptyLayer: empty,
	})
	data, err := json.Marshal(&img)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, err := s.createImage(data, layers, req.Parent)
	if err != nil {
		if newChain != "" {
			s.dropLayers([]digest.Digest{newChain})
		}
		return "", err
	}
	if named != nil {
		if _, err := s.setTag(id, named); err != nil {
			return id, err
		}
	}
	return id, nil
}

// parentLayers returns the manifest layer descriptors of the parent
// image; the tar sizes come from its stored manifest.
func (s *Service) parentLayers(parentID digest.Digest, parent *imageConfig) []layerDesc {
	sizes := map[digest.Digest]int64{}
	if rec, err := s.getRecord(parentID); err == nil && rec.Manifest != "" {
		if mf, err := s.manifest(rec.Manifest); err == nil {
			for _, l := range mf.Layers {
				sizes[l.Digest] = l.Size
			}
		}
	}
	var out []layerDesc
	for _, d := range parent.diffIDs() {
		out = append(out, layerDesc{DiffID: d, Size: sizes[d]})
	}
	return out
}

// mergeConfig is Docker's commit merge (daemon/commit.go): fields the user
// config leaves empty come from the container's config.
func mergeConfig(user, base *container.Config) {
	if base == nil {
		return
	}
	if user.User == "" {
		user.User = base.User
	}
	if len(user.ExposedPorts) == 0 {
		user.ExposedPorts = base.ExposedPorts
	} else {
		for p := range base.ExposedPorts {
			user.ExposedPorts[p] = struct{}{}
		}
	}
	if len(user.Env) == 0 {
		user.Env = base.Env
	} else {
		for _, be := range base.Env {
			bk, _, _ := strings.Cut(be, "=")
			found := false
			for _, ue := range user.Env {
				if uk, _, _ := strings.Cut(ue, "="); uk == bk {
					found = true
					break
				}
			}
			if !found {
				user.Env = append(user.Env, be)
			}
		}
	}
	if user.Labels == nil {
		user.Labels = map[string]string{}
	}
	for k, v := range base.Labels {
		if _, ok := user.Labels[k]; !ok {
			user.Labels[k] = v
		}
	}
	if len(user.Entrypoint) == 0 {
		if len(user.Cmd) == 0 {
			user.Cmd = base.Cmd
			user.ArgsEscaped = base.ArgsEscaped
		}
		if user.Entrypoint == nil {
			user.Entrypoint = base.Entrypoint
		}
	}
	if base.Healthcheck != nil {
		if user.Healthcheck == nil {
			user.Healthcheck = base.Healthcheck
		} else {
			if len(user.Healthcheck.Test) == 0 {
				user.Healthcheck.Test = base.Healthcheck.Test
			}
			if user.Healthcheck.Interval == 0 {
				user.Healthcheck.Interval = base.Healthcheck.Interval
			}
			if user.Healthcheck.Timeout == 0 {
				user.Healthcheck.Timeout = base.Healthcheck.Timeout
			}
			if user.Healthcheck.StartPeriod == 0 {
				user.Healthcheck.StartPeriod = base.Healthcheck.StartPeriod
			}
			if user.Healthcheck.StartInterval == 0 {
				user.Healthcheck.StartInterval = base.Healthcheck.StartInterval
			}
			if user.Healthcheck.Retries == 0 {
				user.Healthcheck.Retries = base.Healthcheck.Retries
			}
		}
	}
	if user.WorkingDir == "" {
		user.WorkingDir = base.WorkingDir
	}
	if len(user.Volumes) == 0 {
		user.Volumes = base.Volumes
	} else {
		for k, v := range base.Volumes {
			user.Volumes[k] = v
		}
	}
	if user.StopSignal == "" {
		user.StopSignal = base.StopSignal
	}
}

// cloneConfig deep-copies a config through JSON so merges never alias the
// caller's maps and slices.
func cloneConfig(c *container.Config) *container.Config {
	if c == nil {
		return nil
	}
	out := &container.Config{}
	data, _ := json.Marshal(c)
	json.Unmarshal(data, out)
	return out
}
