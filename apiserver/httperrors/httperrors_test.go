package httperrors

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/berth-project/berth/internal/errdefs"
)

func TestStatusCode(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{errdefs.NotFound("No such container: x"), 404},
		{fmt.Errorf("wrapped: %w", errdefs.ErrNotFound), 404},
		{errdefs.InvalidParameter("bad"), 400},
		{errdefs.Conflict("in use"), 409},
		{errdefs.NotModified("already started"), 304},
		{errdefs.NotImplemented("later"), 501},
		{errdefs.Unavailable("busy"), 503},
		{fmt.Errorf("x: %w", errdefs.ErrUnauthorized), 401},
		{errdefs.Forbidden("no"), 403},
		{errors.New("boom"), 500},
		{errdefs.AsInvalidParameter(errdefs.NotFound("inner")), 400},
	}
	for _, tt := range tests {
		if got := StatusCode(tt.err); got != tt.want {
			t.Errorf("StatusCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestWrite(t *testing.T) {
	rec := httptest.NewRecorder()
	Write(rec, errdefs.NotFound("No such container: web"))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("code %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content type %q", ct)
	}
	var body struct{ Message string }
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Message != "No such container: web" {
		t.Fatalf("body %q (%v)", rec.Body.String(), err)
	}

	rec = httptest.NewRecorder()
	Write(rec, errdefs.NotModified("container already started"))
	if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Fatalf("304: code %d body %q", rec.Code, rec.Body.String())
	}
}
