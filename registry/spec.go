package registry

import (
	"net/http"
	"regexp"
)

// What distribution v3 lacks of the OCI distribution spec 1.1, and we add
// in front of it:
//   - the referrers API (GET /v2/<name>/referrers/<digest>) and the
//     OCI-Subject header on a manifest push with a subject (referrers.go);
//   - digests other than sha256: distribution verifies and links a sha512
//     blob but answers with its sha256, refuses sha512 manifest
//     references, and cannot mount them (digests.go).
//
// Both keep their state in distribution's own layout (link files) or in
// a directory of ours beside it, so the library stays the only writer of
// blob data.

var (
	reManifest  = regexp.MustCompile(`^/v2/(.+)/manifests/([^/]+)$`)
	reReferrers = regexp.MustCompile(`^/v2/(.+)/referrers/([^/]+)$`)
	reUpload    = regexp.MustCompile(`^/v2/(.+)/blobs/uploads/([^/]*)$`)
	reBlob      = regexp.MustCompile(`^/v2/(.+)/blobs/([^/]+)$`)
)

type specShim struct {
	next http.Handler
	fs   *layout // nil when the storage is not the filesystem driver
}

// specHandler wraps next (distribution's app) with the shims above; root
// is the filesystem storage root ("" for another driver: then only what
// needs no storage of ours is added).
func specHandler(next http.Handler, root string) http.Handler {
	s := &specShim{next: next}
	if root != "" {
		s.fs = &layout{root: root}
	}
	return s
}

func (s *specShim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if s.fs != nil {
		if m := reReferrers.FindStringSubmatch(p); m != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			s.referrers(w, r, m[1], m[2])
			return
		}
		if m := reManifest.FindStringSubmatch(p); m != nil {
			switch r.Method {
			case http.MethodPut:
				s.putManifest(w, r, m[1], m[2])
				return
			case http.MethodDelete:
				s.deleteManifest(w, r, m[1], m[2])
				return
			case http.MethodGet, http.MethodHead:
				s.getManifest(w, r, m[1], m[2])
				return
			}
		}
		if m := reUpload.FindStringSubmatch(p); m != nil {
			s.upload(w, r, m[1])
			return
		}
	}
	if m := reBlob.FindStringSubmatch(p); m != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		s.getBlob(w, r, m[2])
		return
	}
	s.next.ServeHTTP(w, r)
}

// hookWriter runs before just before the status line goes out, so that
// headers can still be set from what the status says.
type hookWriter struct {
	http.ResponseWriter
	before func(status int, h http.Header)
	done   bool
	status int
}

func (h *hookWriter) WriteHeader(code int) {
	if !h.done {
		h.done = true
		h.status = code
		if h.before != nil {
			h.before(code, h.Header())
		}
	}
	h.ResponseWriter.WriteHeader(code)
}

func (h *hookWriter) Write(p []byte) (int, error) {
	if !h.done {
		h.WriteHeader(http.StatusOK)
	}
	return h.ResponseWriter.Write(p)
}

func (h *hookWriter) Flush() {
	if f, ok := h.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (h *hookWriter) Unwrap() http.ResponseWriter { return h.ResponseWriter }
