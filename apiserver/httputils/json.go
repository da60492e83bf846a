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
// Malformed JSON, wrongly typed fields and trailing data are bad requests.
func ReadJSON(r *http.Request, v any) error { return readJSON(r, v, false) }

// ReadJSONStrict is ReadJSON that also rejects unknown fields; used for
// create bodies, where a typo would otherwise silently be ignored.
func ReadJSONStrict(r *http.Request, v any) error { return readJSON(r, v, true) }

func readJSON(r *http.Request, v any, strict bool) error {
	if err := CheckForJSON(r); err != nil {
		return err
	}
	if r.Body == nil || r.ContentLength == 0 {
		return nil
	}
	dec := json.NewDecoder(r.Body)
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return jsonError(err)
	}
	// A second document (or garbage) after the first is a client bug.
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return errdefs.InvalidParameter("invalid JSON: unexpected content after JSON body")
	}
	return nil
}

// jsonError turns decoder errors into messages that name the field.
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return errdefs.InvalidParameter("invalid JSON: %s (at offset %d)", syn.Error(), syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return errdefs.InvalidParameter("invalid JSON: field %s: cannot use %s as %s", field, typ.Value, typ.Type)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errdefs.InvalidParameter("invalid JSON: unexpected end of body")
	}
	return errdefs.InvalidParameter("invalid JSON: %v", err)
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
