package image

import (
	"context"
	"encoding/json"
	"io"
	"runtime"
	"time"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/layer/archive"
	"github.com/distribution/reference"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/jsonstream"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ImportImage implements POST /images/create?fromSrc=- (docker import): the
// rootfs tarball becomes a single layer; changes are Dockerfile
// instructions applied to an empty config.
func (s *Service) ImportImage(ctx context.Context, in io.Reader, repo, tag, message string, changes []string, out io.Writer) error {
	var named reference.Named
	if repo != "" {
		var err error
		if named, err = newTagRef(repo, tag); err != nil {
			return err
		}
	}
	cfg := &container.Config{}
	if err := ApplyChanges(cfg, changes); err != nil {
		return err
	}
	if message == "" {
		message = "Imported from -"
	}
	rc, err := archive.DecompressStream(in)
	if err != nil {
		return errdefs.AsInvalidParameter(err)
	}
	defer rc.Close()
	info, size, isNew, err := s.registerLayer(rc, "")
	if err != nil {
		return err
	}
	created := time.Now().UTC()
	img := imageConfig{Comment: message}
	img.Created = &created
	img.Architecture = runtime.GOARCH
	img.OS = "linux"
	img.Config = toImageConfig(cfg)
	img.RootFS = ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{info.DiffID}}
	img.History = []ocispec.History{{Created: &created, Comment: message}}
	data, err := json.Marshal(&img)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, err := s.createImage(data, []layerDesc{{DiffID: info.DiffID, Size: size}}, "")
	if err != nil {
		if isNew {
			s.dropLayers([]digest.Digest{info.ChainID})
		}
		return err
	}
	s.event("import", id, id.String())
	if named != nil {
		if _, err := s.setTag(id, named); err != nil {
			return err
		}
	}
	return writeMessage(out, jsonstream.Message{Status: id.String()})
}

// toImageConfig converts a container config to the image config subset,
// through JSON like Docker's on-disk format (the field names are shared).
func toImageConfig(c *container.Config) dockerspec.DockerOCIImageConfig {
	var out dockerspec.DockerOCIImageConfig
	if c == nil {
		return out
	}
	data, _ := json.Marshal(c)
	json.Unmarshal(data, &out)
	return out
}

// toContainerConfig is the inverse of toImageConfig.
func toContainerConfig(c dockerspec.DockerOCIImageConfig) *container.Config {
	out := &container.Config{}
	data, _ := json.Marshal(c)
	json.Unmarshal(data, out)
	return out
}

// writeMessage writes one JSON message line as Docker's stream formatter
// does ("\r\n"-terminated).
func writeMessage(out io.Writer, m jsonstream.Message) error {
	if out == nil {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = out.Write(append(b, '\r', '\n'))
	return err
}
