package httputils

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/berth-project/berth/internal/errdefs"
)

// CheckForJSON rejects request bodies that declare a non-JSON content type;
// no Content-Type at all is accepted, as Docker does.
func CheckForJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	if mt, _, err := mime.ParseMediaType(ct); err == nil && mt == "application/json" {
		return nil
	}
	return errdefs.InvalidParameter("unsupported Content-Type header (%s): must be 'application/json'", ct)
}

// ReadJSON decodes the request body into v. An empty body leaves v alone.
// Unknown fields are ignored, as dockerd ignores them: clients send fields
// of other API versions (docker-py's exec "Container", NetworkingConfig
// keyed by a network name) and expect them to be dropped. Malformed JSON,
// wrongly typed fields and trailing data are bad requests worded as
// dockerd words them ("invalid JSON: <decoder error>").
func ReadJSON(r *http.Request, v any) error {
	if err := CheckForJSON(r); err != nil {
		return err
	}
	if r.Body == nil || r.ContentLength == 0 {
		return nil
	}
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return errdefs.InvalidParameter("invalid JSON: %v", err)
	}
	// A second document (or garbage) after the first is a client bug.
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return errdefs.InvalidParameter("unexpected content after JSON")
	}
	return nil
}

// WriteJSON writes v with status code as application/json.
func WriteJSON(w http.ResponseWriter, code int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encoding response: %w", err)
	}
	return nil
}
