package httputils

import (
	"strconv"
	"strings"
	"time"

	"github.com/berth-project/berth/internal/errdefs"
)

// ParseTimestamp parses Docker's wire format for since/until parameters:
// Unix seconds with an optional fractional part ("1700000000",
// "1700000000.000000001"), which the CLI produces from both durations and
// dates. RFC 3339 is accepted too for hand-written requests. Empty yields
// the zero time.
func ParseTimestamp(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	secStr, fracStr, hasFrac := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(secStr, 10, 64)
	if err != nil {
		if t, perr := time.Parse(time.RFC3339Nano, s); perr == nil {
			return t, nil
		}
		return time.Time{}, errdefs.InvalidParameter("invalid timestamp %q: must be Unix seconds (with optional fraction) or RFC 3339", s)
	}
	var nsec int64
	if hasFrac {
		if len(fracStr) == 0 || len(fracStr) > 9 {
			return time.Time{}, errdefs.InvalidParameter("invalid timestamp %q: bad fractional seconds", s)
		}
		fracStr += strings.Repeat("0", 9-len(fracStr))
		if nsec, err = strconv.ParseInt(fracStr, 10, 64); err != nil || nsec < 0 {
			return time.Time{}, errdefs.InvalidParameter("invalid timestamp %q: bad fractional seconds", s)
		}
	}
	return time.Unix(sec, nsec), nil
}
