package image

import (
	"encoding/json"
	"runtime"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/distribution/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Annotation names carrying image names in OCI layouts.
const (
	annotationImageName = "io.containerd.image.name"
	annotationRefName   = ocispec.AnnotationRefName
)

// Docker (schema 2) media types that may appear in OCI layouts.
const (
	mediaTypeDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	mediaTypeDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
)

// maxIndexDepth bounds nested indexes in hostile layouts.
const maxIndexDepth = 4

// ociLayout loads the images an OCI layout's index.json points at; nested
// indexes (multi-platform) contribute the manifest for this platform.
func (l *loader) ociLayout() ([]*pendingImage, error) {
	data, err := l.sp.read("index.json")
	if err != nil {
		return nil, err
	}
	var idx ocispec.Index
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, errdefs.InvalidParameter("invalid archive: index.json: %v", err)
	}
	var out []*pendingImage
	byID := map[string]*pendingImage{}
	for _, desc := range idx.Manifests {
		tags := namesFromAnnotations(desc.Annotations)
		mdesc, err := l.platformManifest(desc, 0)
		if err != nil {
			return nil, err
		}
		if mdesc == nil {
			continue // no manifest for this platform
		}
		img, err := l.ociImage(*mdesc)
		if err != nil {
			return nil, err
		}
		if prev, ok := byID[img.id.String()]; ok {
			prev.tags = append(prev.tags, tags...)
			continue
		}
		img.tags = tags
		byID[img.id.String()] = img
		out = append(out, img)
	}
	return out, nil
}

// namesFromAnnotations takes the full image name from containerd's
// annotation, or from the OCI ref name when that is a full reference.
func namesFromAnnotations(a map[string]string) []reference.Named {
	for _, key := range []string{annotationImageName, annotationRefName} {
		if v := a[key]; v != "" {
			named, err := reference.ParseNormalizedNamed(v)
			if err != nil {
				continue
			}
			if _, ok := named.(reference.NamedTagged); ok {
				return []reference.Named{named}
			}
		}
	}
	return nil
}

// platformManifest follows indexes down to an image manifest matching
// linux/GOARCH (or without platform).
func (l *loader) platformManifest(desc ocispec.Descriptor, depth int) (*ocispec.Descriptor, error) {
	switch desc.MediaType {
	case ocispec.MediaTypeImageManifest, mediaTypeDockerManifest:
		return &desc, nil
	case ocispec.MediaTypeImageIndex, mediaTypeDockerList:
	default:
		return nil, errdefs.InvalidParameter("invalid archive: unsupported media type %q in index", desc.MediaType)
	}
	if depth >= maxIndexDepth {
		return nil, errdefs.InvalidParameter("invalid archive: indexes nested too deep")
	}
	data, err := l.blobJSON(desc)
	if err != nil {
		return nil, err
	}
	var idx ocispec.Index
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, errdefs.InvalidParameter("invalid archive: index %s: %v", desc.Digest, err)
	}
	for _, m := range idx.Manifests {
		if m.Platform != nil && (m.Platform.OS != "linux" || m.Platform.Architecture != runtime.GOARCH) {
			continue
		}
		if _, err := l.sp.blob(m.Digest); err != nil {
			continue // platforms not included in the archive
		}
		return l.platformManifest(m, depth+1)
	}
	return nil, nil
}

// blobJSON reads a descriptor's blob, checking digest and size.
func (l *loader) blobJSON(desc ocispec.Descriptor) ([]byte, error) {
	f, err := l.sp.blob(desc.Digest)
	if err != nil {
		return nil, err
	}
	if desc.Size != 0 && desc.Size != f.size {
		return nil, errdefs.InvalidParameter("invalid archive: blob %s has size %d, descriptor says %d", desc.Digest, f.size, desc.Size)
	}
	return l.sp.read("blobs/sha256/" + desc.Digest.Encoded())
}

func (l *loader) ociImage(desc ocispec.Descriptor) (*pendingImage, error) {
	data, err := l.blobJSON(desc)
	if err != nil {
		return nil, err
	}
	var mf ocispec.Manifest
	if err := json.Unmarshal(data, &mf); err != nil {
		return nil, errdefs.InvalidParameter("invalid archive: manifest %s: %v", desc.Digest, err)
	}
	cfg, err := l.blobJSON(mf.Config)
	if err != nil {
		return nil, err
	}
	var files []spoolFile
	for _, ld := range mf.Layers {
		f, err := l.sp.blob(ld.Digest)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return l.image(cfg, files, nil)
}
