package distribution

import (
	"context"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"

	imagerouter "github.com/berth-project/berth/apiserver/router/image"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
	digest "github.com/opencontainers/go-digest"
)

// PullImage implements POST /images/create?fromImage=: one tag or digest,
// or every tag of the repository when neither is given.
func (s *Service) PullImage(ctx context.Context, req imagerouter.PullRequest, out io.Writer) error {
	named, err := reference.ParseNormalizedNamed(req.Image)
	if err != nil {
		return errdefs.InvalidParameter("invalid reference format: %v", err)
	}
	if req.Tag != "" {
		if d, derr := digest.Parse(req.Tag); derr == nil {
			named, err = reference.WithDigest(reference.TrimNamed(named), d)
		} else {
			named, err = reference.WithTag(reference.TrimNamed(named), req.Tag)
		}
		if err != nil {
			return errdefs.InvalidParameter("invalid reference format: %v", err)
		}
	}
	var want *v1.Platform
	if req.Platform != "" {
		if want, err = v1.ParsePlatform(req.Platform); err != nil {
			return errdefs.InvalidParameter("invalid platform %q: %v", req.Platform, err)
		}
	}
	p := &progress{out: out}
	if !reference.IsNameOnly(named) {
		return s.pullOne(ctx, named, want, req, p, true)
	}
	// docker pull -a: every tag.
	host := reference.Domain(named)
	repo, err := name.NewRepository(named.Name(), s.opts.nameOptions(host)...)
	if err != nil {
		return errdefs.InvalidParameter("invalid reference format: %v", err)
	}
	opts, err := s.opts.remoteOptions(ctx, host, req.Auth, s.opts.MaxDownloads)
	if err != nil {
		return err
	}
	tags, err := remote.List(repo, opts...)
	if err != nil {
		return classify(err, "list tags of "+reference.FamiliarName(named))
	}
	for _, t := range tags {
		tagged, err := reference.WithTag(named, t)
		if err != nil {
			continue
		}
		if err := s.pullOne(ctx, tagged, want, req, p, false); err != nil {
			return err
		}
	}
	p.status("Status: Downloaded newer image for " + reference.FamiliarName(named))
	return nil
}

// pullOne pulls one tag or digest; final says whether to end with the
// "Status:" line (not for each tag of pull -a).
func (s *Service) pullOne(ctx context.Context, named reference.Named, want *v1.Platform, req imagerouter.PullRequest, p *progress, final bool) error {
	host := reference.Domain(named)
	label := reference.FamiliarString(named)
	ref, err := name.ParseReference(named.String(), s.opts.nameOptions(host)...)
	if err != nil {
		return errdefs.InvalidParameter("invalid reference format: %v", err)
	}
	opts, err := s.opts.remoteOptions(ctx, host, req.Auth, s.opts.MaxDownloads)
	if err != nil {
		return err
	}
	id := ref.Identifier()
	// Docker names the repository by its path ("library/busybox").
	p.layer(id, "Pulling from "+reference.Path(named))

	desc, err := s.getManifest(ctx, ref, opts)
	if err != nil {
		var te *transport.Error
		if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
			return errdefs.NotFound("manifest for %s not found: %s", label, registryMessage(te))
		}
		return classify(err, "pull "+label)
	}
	img, err := s.chooseImage(ref, desc, want, opts)
	if err != nil {
		return err
	}
	existed := false
	if old, err := s.store.Resolve(named.String()); err == nil {
		if cfgName, err := img.ConfigName(); err == nil && old.ID.String() == cfgName.String() {
			existed = true
		}
	}
	allThere, sizes, err := s.pullLayers(ctx, ref.Context(), img, p)
	if err != nil {
		return err
	}
	config, err := img.RawConfigFile()
	if err != nil {
		return classify(err, "fetch image config")
	}
	if want != nil {
		if err := checkPlatform(config, want, label); err != nil {
			return err
		}
	}
	canonical, err := reference.WithDigest(reference.TrimNamed(named), digest.Digest(desc.Digest.String()))
	if err != nil {
		return err
	}
	var tagRef reference.Named
	if _, ok := named.(reference.Tagged); ok {
		tagRef = named
	}
	if _, _, err := s.store.StorePulled(config, sizes, tagRef, canonical); err != nil {
		return err
	}
	p.status("Digest: " + desc.Digest.String())
	if !final {
		return nil
	}
	if allThere && existed {
		p.status("Status: Image is up to date for " + label)
	} else {
		p.status("Status: Downloaded newer image for " + label)
	}
	return nil
}

// getManifest fetches the manifest of ref, from the mirrors first for
// Docker Hub images.
func (s *Service) getManifest(ctx context.Context, ref name.Reference, opts []remote.Option) (*remote.Descriptor, error) {
	if ref.Context().RegistryStr() == name.DefaultRegistry {
		for _, m := range s.opts.Mirrors {
			if d, err := s.fromMirror(ctx, m, ref); err == nil {
				return d, nil
			}
		}
	}
	return remote.Get(ref, opts...)
}

func (s *Service) fromMirror(ctx context.Context, mirror string, ref name.Reference) (*remote.Descriptor, error) {
	host := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(mirror, "https://"), "http://"), "/")
	nopts := s.opts.nameOptions(host)
	if strings.HasPrefix(mirror, "http://") {
		nopts = append(nopts, name.Insecure)
	}
	mref, err := name.ParseReference(host+"/"+ref.Context().RepositoryStr()+refSuffix(ref), nopts...)
	if err != nil {
		return nil, err
	}
	opts, err := s.opts.remoteOptions(ctx, host, nil, s.opts.MaxDownloads)
	if err != nil {
		return nil, err
	}
	return remote.Get(mref, opts...)
}

func refSuffix(ref name.Reference) string {
	if _, ok := ref.(name.Digest); ok {
		return "@" + ref.Identifier()
	}
	return ":" + ref.Identifier()
}

// hostPlatform is the platform an index entry is chosen for.
func hostPlatform() v1.Platform {
	p := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	switch runtime.GOARCH {
	case "arm64":
		p.Variant = "v8"
	case "arm":
		p.Variant = "v7"
	}
	return p
}

func platformMatches(have *v1.Platform, want v1.Platform) bool {
	if have == nil || have.OS != want.OS || have.Architecture != want.Architecture {
		return false
	}
	if want.Variant == "" || have.Variant == want.Variant {
		return true
	}
	// arm64 images rarely name their variant.
	return want.Architecture == "arm64" && have.Variant == "" && want.Variant == "v8"
}

// chooseImage resolves an index to the image of the wanted platform.
func (s *Service) chooseImage(ref name.Reference, desc *remote.Descriptor, want *v1.Platform, opts []remote.Option) (v1.Image, error) {
	switch desc.MediaType {
	case types.OCIImageIndex, types.DockerManifestList:
	case types.DockerManifestSchema1, types.DockerManifestSchema1Signed:
		return nil, errdefs.InvalidParameter("%s: Docker Image Format v1 and Docker Image manifest version 2, schema 1 are not supported (push it again with a current Docker or berth)", ref)
	default:
		img, err := desc.Image()
		return img, classify(err, "read manifest of "+ref.String())
	}
	plat := hostPlatform()
	if want != nil {
		plat = *want
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		return nil, classify(err, "read index of "+ref.String())
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, classify(err, "read index of "+ref.String())
	}
	for _, m := range im.Manifests {
		if m.MediaType.IsIndex() || !platformMatches(m.Platform, plat) {
			continue
		}
		img, err := remote.Image(ref.Context().Digest(m.Digest.String()), opts...)
		return img, classify(err, "read manifest of "+ref.String())
	}
	return nil, errdefs.NotFound("no matching manifest for %s in the manifest list entries", plat.String())
}

// checkPlatform refuses an image whose config names another platform than
// the one asked for (Docker's message).
func checkPlatform(config []byte, want *v1.Platform, label string) error {
	cf, err := v1.ParseConfigFile(strings.NewReader(string(config)))
	if err != nil {
		return errdefs.InvalidParameter("invalid image config: %v", err)
	}
	have := &v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}
	if !platformMatches(have, *want) {
		return errdefs.NotFound("image with reference %s was found but does not match the specified platform: wanted %s, actual: %s", label, want.String(), have.String())
	}
	return nil
}

// layerID is a short layer name of the progress stream.
func layerID(h v1.Hash) string { return shortID(h.Hex) }
