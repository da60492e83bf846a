package lifecycle

import (
	"path"
	"runtime"
	"strings"

	"github.com/berth-project/berth/image"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/distribution/reference"
	containertypes "github.com/moby/moby/api/types/container"
	digest "github.com/opencontainers/go-digest"
)

// validateConfig runs the checks dockerd makes on a create request's
// Config before it looks the image up (verifyContainerSettings), and
// normalises what it normalises there. All failures are 400s.
func validateConfig(cfg *containertypes.Config) error {
	if cfg.WorkingDir != "" {
		if !path.IsAbs(cfg.WorkingDir) {
			return errdefs.InvalidParameter("the working directory '%s' is invalid, it needs to be an absolute path", cfg.WorkingDir)
		}
		cfg.WorkingDir = path.Clean(cfg.WorkingDir)
	}
	for _, e := range cfg.Env {
		// "NAME" alone is allowed (no value); a missing name is not.
		if name, _, _ := strings.Cut(e, "="); name == "" {
			return errdefs.InvalidParameter("invalid environment variable: %s", e)
		}
	}
	return nil
}

// validateImageRef rejects a Config.Image that is neither an image ID nor
// a valid reference, as dockerd's reference.ParseAnyReference does, so that
// "busybox:sha256:<id>" is "invalid reference format" (400) rather than a
// missing image.
func validateImageRef(ref string) error {
	if _, err := digest.Parse(ref); err == nil {
		return nil
	}
	if _, err := reference.ParseNormalizedNamed(ref); err != nil {
		return errdefs.InvalidParameter("%s", err.Error())
	}
	return nil
}

// checkPlatform compares the create request's platform (os[/arch[/variant]],
// already checked for shape by the router) with the local image's. Docker
// answers a mismatch with 404, since no image for that platform exists
// locally.
func checkPlatform(want, ref string, img *image.Image) error {
	if want == "" {
		return nil
	}
	wOS, wArch, wVariant := normalizePlatform(want)
	have := img.Config.OS
	if have == "" {
		have = "linux"
	}
	have += "/" + img.Config.Architecture
	if img.Config.Variant != "" {
		have += "/" + img.Config.Variant
	}
	hOS, hArch, hVariant := normalizePlatform(have)
	if wOS == hOS && wArch == hArch && (wVariant == "" || wVariant == hVariant) {
		return nil
	}
	return errdefs.NotFound("image with reference %s was found but does not match the specified platform: wanted %s, actual: %s",
		ref, joinPlatform(wOS, wArch, wVariant), joinPlatform(hOS, hArch, hVariant))
}

// normalizePlatform applies containerd's platform normalisation: the host
// architecture when none is given, the common aliases of architectures,
// and arm64's default variant dropped.
func normalizePlatform(p string) (osName, arch, variant string) {
	parts := strings.SplitN(strings.ToLower(p), "/", 3)
	osName = parts[0]
	if osName == "macos" {
		osName = "darwin"
	}
	arch = runtime.GOARCH
	if len(parts) > 1 {
		arch = parts[1]
	}
	if len(parts) > 2 {
		variant = parts[2]
	}
	switch arch {
	case "i386":
		arch = "386"
	case "x86_64", "x86-64", "amd64":
		arch = "amd64"
		if variant == "v1" {
			variant = ""
		}
	case "aarch64", "arm64":
		arch = "arm64"
		if variant == "8" || variant == "v8" {
			variant = ""
		}
	case "armhf":
		arch, variant = "arm", "v7"
	case "armel":
		arch, variant = "arm", "v6"
	case "arm":
		switch variant {
		case "", "7":
			variant = "v7"
		case "5", "6", "8":
			variant = "v" + variant
		}
	}
	return osName, arch, variant
}

func joinPlatform(osName, arch, variant string) string {
	s := osName + "/" + arch
	if variant != "" {
		s += "/" + variant
	}
	return s
}
