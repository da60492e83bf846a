package httputils

import (
	"context"
	"strconv"
	"strings"
)

type versionKey struct{}

// WithVersion records the API version the request was made with.
func WithVersion(ctx context.Context, v string) context.Context {
	return context.WithValue(ctx, versionKey{}, v)
}

// VersionFromContext returns the request's API version ("" if unknown,
// which callers treat as the newest).
func VersionFromContext(ctx context.Context) string {
	v, _ := ctx.Value(versionKey{}).(string)
	return v
}

// CompareVersions compares dotted numeric versions such as "1.41" and
// "1.9": -1 if a < b, 0 if equal, 1 if a > b. Missing parts count as 0.
func CompareVersions(a, b string) int {
	for a != "" || b != "" {
		var pa, pb string
		pa, a, _ = strings.Cut(a, ".")
		pb, b, _ = strings.Cut(b, ".")
		na, _ := strconv.Atoi(pa)
		nb, _ := strconv.Atoi(pb)
		if na != nb {
			if na < nb {
				return -1
			}
			return 1
		}
	}
	return 0
}

// VersionAtLeast reports whether the request's API version is >= min. An
// unknown version (no version in the path) counts as the newest.
func VersionAtLeast(ctx context.Context, min string) bool {
	v := VersionFromContext(ctx)
	return v == "" || CompareVersions(v, min) >= 0
}

// API versions served. MaxAPIVersion matches the swagger of
// github.com/moby/moby/api v1.56.1 (client.MaxAPIVersion of the client
// module in go.mod); MinAPIVersion is Docker's own minimum.
const (
	MaxAPIVersion = "1.56"
	MinAPIVersion = "1.24"
)
