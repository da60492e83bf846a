package oci

import (
	"strings"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ulimitNames are the names `--ulimit` accepts (go-units' list).
var ulimitNames = map[string]bool{
	"as": true, "core": true, "cpu": true, "data": true, "fsize": true,
	"locks": true, "memlock": true, "msgqueue": true, "nice": true,
	"nofile": true, "nproc": true, "rss": true, "rtprio": true,
	"rttime": true, "sigpending": true, "stack": true,
}

func rlimitType(name string) (string, error) {
	if !ulimitNames[strings.ToLower(name)] {
		return "", errdefs.InvalidParameter("invalid ulimit type: %s", name)
	}
	return "RLIMIT_" + strings.ToUpper(name), nil
}

// rlimits converts --ulimit entries. Docker 28 sets no rlimits by default:
// the container inherits the runtime's.
func rlimits(uls []*container.Ulimit) ([]specs.POSIXRlimit, error) {
	var out []specs.POSIXRlimit
	for _, ul := range uls {
		if ul == nil {
			continue
		}
		t, err := rlimitType(ul.Name)
		if err != nil {
			return nil, err
		}
		if ul.Soft > ul.Hard {
			return nil, errdefs.InvalidParameter("ulimit soft limit must be less than or equal to hard limit: %d > %d", ul.Soft, ul.Hard)
		}
		out = append(out, specs.POSIXRlimit{Type: t, Soft: uint64(ul.Soft), Hard: uint64(ul.Hard)})
	}
	return out, nil
}

// Rlimits converts --ulimit entries for an exec process, which Docker
// starts from the container's process spec and so with its limits.
func Rlimits(uls []*container.Ulimit) ([]specs.POSIXRlimit, error) { return rlimits(uls) }
