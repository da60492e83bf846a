package volume

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/docker/go-units"
)

// restrictedNameChars is Docker's names.RestrictedNameChars; the name
// becomes a directory, so nothing that could climb out of the root passes.
const restrictedNameChars = `[a-zA-Z0-9][a-zA-Z0-9_.-]`

var namePattern = regexp.MustCompile(`^` + restrictedNameChars + `+$`)

// validName checks a volume name with the local driver's rules and words.
func validName(name string) error {
	if len(name) == 1 {
		return errdefs.InvalidParameter("volume name is too short, names should be at least two alphanumeric characters")
	}
	if !namePattern.MatchString(name) {
		return errdefs.InvalidParameter("%q includes invalid characters for a local volume name, only %q are allowed. If you intended to pass a host directory, use absolute path", name, restrictedNameChars)
	}
	return nil
}

// validOpts are the local driver's options; mandatory lists what each one
// needs besides itself (Docker's mandatoryOpts).
var (
	validOpts = map[string]bool{"type": true, "device": true, "o": true, "size": true}
	mandatory = map[string][]string{
		"device": {"type"},
		"type":   {"device"},
		"o":      {"device", "type"},
	}
)

// validateOpts checks local driver options in Docker's order and wording.
func validateOpts(opts map[string]string) error {
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys) // a stable first complaint when several keys are wrong
	for _, k := range keys {
		if !validOpts[k] {
			return errdefs.InvalidParameter("invalid option: %q", k)
		}
	}
	if opts["type"] == "cifs" && opts["device"] != "" {
		u, err := url.Parse(opts["device"])
		if err != nil {
			return errdefs.InvalidParameter("error parsing mount device url: %v", err)
		}
		if u.Port() != "" {
			return errdefs.InvalidParameter("port not allowed in CIFS device URL, include 'port' in 'o='")
		}
	}
	if val, ok := opts["size"]; ok {
		size, err := units.RAMInBytes(val)
		if err != nil {
			return errdefs.InvalidParameter("%v", err)
		}
		// Docker enforces size with XFS project quotas; berth has no quota
		// control, so it refuses like Docker does on a filesystem without
		// them.
		if size > 0 {
			return errdefs.InvalidParameter("quota size requested but no quota support")
		}
	}
	for _, k := range []string{"device", "o", "type"} {
		if _, ok := opts[k]; !ok {
			continue
		}
		for _, need := range mandatory[k] {
			if _, ok := opts[need]; !ok {
				return errdefs.InvalidParameter("missing required option: %q", need)
			}
		}
	}
	return nil
}

// opErr prefixes a failure with Docker's "<op> <name>: " while keeping the
// error's class.
func opErr(op, name string, err error) error {
	return fmt.Errorf("%s %s: %w", op, name, err)
}

func errNoSuchVolume(op, name string) error {
	return errdefs.NotFound("%s %s: no such volume", op, name)
}

func errInUse(op, name string, ids []string) error {
	return errdefs.Conflict("%s %s: volume is in use - [%s]", op, name, strings.Join(ids, ", "))
}
