package httputils

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/berth-project/berth/internal/errdefs"
)

// ParseForm parses the query string into r.Form and classes failures as
// bad requests. Unlike http.Request.ParseForm it never reads the body: the
// API takes no form bodies, and a tarball posted by curl with its default
// application/x-www-form-urlencoded type must reach the handler intact.
func ParseForm(r *http.Request) error {
	if r.Form != nil {
		return nil
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return errdefs.InvalidParameter("invalid query: %v", err)
	}
	r.Form, r.PostForm = q, url.Values{}
	return nil
}

// BoolValue parses a boolean query parameter the way Docker does: empty,
// "0", "no", "false" and "none" (any case) are false, anything else is true.
func BoolValue(r *http.Request, k string) bool {
	s := strings.ToLower(strings.TrimSpace(r.FormValue(k)))
	return !(s == "" || s == "0" || s == "no" || s == "false" || s == "none")
}

// BoolValueOrDefault is BoolValue, but d when the parameter is absent or
// empty.
func BoolValueOrDefault(r *http.Request, k string, d bool) bool {
	if _, ok := r.Form[k]; !ok || r.FormValue(k) == "" {
		return d
	}
	return BoolValue(r, k)
}

// Int64ValueOrDefault parses an integer query parameter, d when absent.
func Int64ValueOrDefault(r *http.Request, k string, d int64) (int64, error) {
	s := r.FormValue(k)
	if s == "" {
		return d, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return d, errdefs.InvalidParameter("invalid value for %s: %q: must be an integer", k, s)
	}
	return n, nil
}

// Uint32Value parses a non-negative 32-bit integer query parameter; absent
// is 0.
func Uint32Value(r *http.Request, k string) (uint32, error) {
	s := r.FormValue(k)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, err
	}
	return uint32(n), nil
}
