package oci

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// securityOpts is the parsed form of --security-opt.
type securityOpts struct {
	noNewPrivileges bool
	seccompProfile  string // "", "unconfined", "builtin" or a JSON profile
	writableCgroups *bool
}

// parseSecurityOpts accepts what Docker accepts. SELinux labels and
// AppArmor profiles are accepted and ignored: this engine loads neither.
func parseSecurityOpts(opts []string) (securityOpts, error) {
	var s securityOpts
	for _, opt := range opts {
		switch opt {
		case "no-new-privileges":
			s.noNewPrivileges = true
			continue
		case "writable-cgroups":
			t := true
			s.writableCgroups = &t
			continue
		case "disable":
			continue
		}
		var k, v string
		var ok bool
		if strings.Contains(opt, "=") {
			k, v, ok = strings.Cut(opt, "=")
		} else if strings.Contains(opt, ":") {
			k, v, ok = strings.Cut(opt, ":") // deprecated separator, still accepted
		}
		if !ok {
			return s, errdefs.InvalidParameter("invalid --security-opt 1: %q", opt)
		}
		switch k {
		case "label", "apparmor":
		case "seccomp":
			s.seccompProfile = v
		case "no-new-privileges":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return s, errdefs.InvalidParameter("invalid --security-opt 2: %q", opt)
			}
			s.noNewPrivileges = b
		case "writable-cgroups":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return s, errdefs.InvalidParameter("invalid --security-opt 2: %q", opt)
			}
			s.writableCgroups = &b
		default:
			return s, errdefs.InvalidParameter("invalid --security-opt 2: %q", opt)
		}
	}
	return s, nil
}

// seccompFor picks the filter like Docker's WithSeccomp: none when
// unconfined, none for privileged unless a custom profile is given, the
// default profile otherwise. It needs the final capabilities in s because
// the default profile allows some syscalls only with certain caps.
func seccompFor(profile string, privileged bool, s *specs.Spec) (*specs.LinuxSeccomp, error) {
	switch {
	case profile == "unconfined":
		return nil, nil
	case privileged && (profile == "" || profile == "builtin"):
		return nil, nil
	case profile == "" || profile == "builtin":
		p, err := seccomp.GetDefaultProfile(s)
		if err == nil {
			p.Architectures = dropUnsupportedArches(p.Architectures)
		}
		return p, err
	default:
		p, err := seccomp.LoadProfile(profile, s)
		if err != nil {
			return nil, errdefs.InvalidParameter("%s", err.Error())
		}
		return p, nil
	}
}

var (
	x32Once      sync.Once
	x32Supported = true
)

// dropUnsupportedArches removes SCMP_ARCH_X32 when the kernel was built
// without the x32 ABI: the kernel refuses those syscalls anyway, and each
// extra architecture makes libseccomp compile a larger filter on every
// container start (measured ~1/3 of the filter build here). Without a
// readable kernel config nothing is dropped.
func dropUnsupportedArches(arches []specs.Arch) []specs.Arch {
	x32Once.Do(func() {
		f, err := os.Open("/proc/config.gz")
		if err != nil {
			return
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return
		}
		data, err := io.ReadAll(zr)
		if err != nil {
			return
		}
		x32Supported = bytes.Contains(data, []byte("\nCONFIG_X86_X32_ABI=y"))
	})
	if x32Supported {
		return arches
	}
	out := arches[:0:0]
	for _, a := range arches {
		if a != specs.ArchX32 {
			out = append(out, a)
		}
	}
	return out
}
