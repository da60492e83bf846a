package swarm

import (
	"net/http"
	"strconv"

	"github.com/berth-project/berth/internal/errdefs"
)

// objectVersion parses the required ?version= of an update: the object
// version the client read, which swarmkit checks to refuse lost updates.
// dockerd words the error per kind: swarm, node and service quote the value
// and the parser's reason, secret and config say nothing more.
func objectVersion(r *http.Request, kind string) (uint64, error) {
	raw := r.Form.Get("version")
	v, err := strconv.ParseUint(raw, 10, 64)
	if err == nil {
		return v, nil
	}
	switch kind {
	case "secret", "config":
		return 0, errdefs.InvalidParameter("invalid %s version", kind)
	}
	return 0, errdefs.InvalidParameter("invalid %s version '%s': %v", kind, raw, err)
}

// strictBool parses a boolean parameter with strconv.ParseBool, as dockerd
// does for the swarm routes' newer flags (unlike httputils.BoolValue, "yes"
// is an error there). Absent or empty is false. withCause appends the
// parser's reason, which dockerd does for status and insertDefaults but not
// for the token rotation flags.
func strictBool(r *http.Request, name string, withCause bool) (bool, error) {
	raw := r.Form.Get(name)
	if raw == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(raw)
	if err == nil {
		return b, nil
	}
	if withCause {
		return false, errdefs.InvalidParameter("invalid value for %s: %s: %v", name, raw, err)
	}
	return false, errdefs.InvalidParameter("invalid value for %s: %s", name, raw)
}
