package oci

import (
	"strconv"
	"strings"

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
		return seccomp.GetDefaultProfile(s)
	default:
		p, err := seccomp.LoadProfile(profile, s)
		if err != nil {
			return nil, errdefs.InvalidParameter("%s", err.Error())
		}
		return p, nil
	}
}
