// Package httperrors is the one place that maps error classes
// (internal/errdefs) to Engine API status codes and renders them the way
// Docker does: Content-Type application/json, body {"message": "..."}.
// The docker CLI only parses the body as JSON when the content type is
// exactly application/json, so that must not change.
package httperrors

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/berth-project/berth/internal/errdefs"
)

// classes in precedence order for a single error value; the outermost
// classed error in a wrap chain wins, so errdefs.AsInvalidParameter of a
// NotFound error is a 400, as in Docker.
var classes = []struct {
	class error
	code  int
}{
	{errdefs.ErrNotFound, http.StatusNotFound},
	{errdefs.ErrInvalidParameter, http.StatusBadRequest},
	{errdefs.ErrConflict, http.StatusConflict},
	{errdefs.ErrNotModified, http.StatusNotModified},
	{errdefs.ErrNotImplemented, http.StatusNotImplemented},
	{errdefs.ErrUnavailable, http.StatusServiceUnavailable},
	{errdefs.ErrUnauthorized, http.StatusUnauthorized},
	{errdefs.ErrForbidden, http.StatusForbidden},
	{context.DeadlineExceeded, http.StatusGatewayTimeout},
}

// StatusCode returns the HTTP status for err's class; unclassed errors are
// 500.
func StatusCode(err error) int {
	if err == nil {
		return http.StatusOK
	}
	if code, ok := classify(err); ok {
		return code
	}
	return http.StatusInternalServerError
}

// classify walks the wrap tree depth-first, outermost first, and returns the
// status of the first node that is itself one of the classes.
func classify(err error) (int, bool) {
	for err != nil {
		for _, c := range classes {
			if err == c.class {
				return c.code, true
			}
			if is, ok := err.(interface{ Is(error) bool }); ok && is.Is(c.class) {
				return c.code, true
			}
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if code, ok := classify(e); ok {
					return code, true
				}
			}
			return 0, false
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		default:
			return 0, false
		}
	}
	return 0, false
}

// errorResponse is the Engine API's ErrorResponse schema.
type errorResponse struct {
	Message string `json:"message"`
}

// Write renders err. 304 has no body by HTTP rules; Docker still sends the
// status only.
func Write(w http.ResponseWriter, err error) {
	code := StatusCode(err)
	h := w.Header()
	if code == http.StatusNotModified {
		w.WriteHeader(code)
		return
	}
	h.Set("Content-Type", "application/json")
	// Drop headers a handler may have set for the success case.
	h.Del("Content-Length")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(errorResponse{Message: err.Error()})
}
