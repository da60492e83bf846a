package registry

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"strings"

	digest "github.com/opencontainers/go-digest"
)

// Blobs and manifests addressed by a digest other than the canonical
// sha256. distribution stores every blob under its sha256 and links the
// digest it was pushed with, but its answers name the sha256; these shims
// make the answers name the digest the client used, and add the links
// distribution does not write itself.

// nonCanonical parses s as a digest of another algorithm than sha256.
func nonCanonical(s string) (digest.Digest, bool) {
	d, err := digest.Parse(s)
	if err != nil || d.Algorithm() == digest.Canonical {
		return "", false
	}
	return d, true
}

// renameDigest rewrites the digest headers of a successful answer from
// the canonical digest to the one the client asked for.
func renameDigest(want digest.Digest) func(int, http.Header) {
	return func(status int, h http.Header) {
		if status >= 300 {
			return
		}
		old := h.Get("Docker-Content-Digest")
		h.Set("Docker-Content-Digest", want.String())
		if loc := h.Get("Location"); loc != "" && old != "" {
			h.Set("Location", strings.Replace(loc, old, want.String(), 1))
		}
	}
}

func (s *specShim) getBlob(w http.ResponseWriter, r *http.Request, ref string) {
	if d, ok := nonCanonical(ref); ok {
		w = &hookWriter{ResponseWriter: w, before: renameDigest(d)}
	}
	s.next.ServeHTTP(w, r)
}

// getManifest resolves a non-canonical manifest digest through the
// revision link putManifest wrote.
func (s *specShim) getManifest(w http.ResponseWriter, r *http.Request, name, ref string) {
	d, ok := nonCanonical(ref)
	if !ok {
		s.next.ServeHTTP(w, r)
		return
	}
	link, err := s.fs.revisionLink(name, d)
	if err != nil {
		s.next.ServeHTTP(w, r)
		return
	}
	canon := readLink(link)
	if canon == "" {
		s.next.ServeHTTP(w, r)
		return
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/v2/" + name + "/manifests/" + canon.String()
	r2.URL.RawPath = ""
	s.next.ServeHTTP(&hookWriter{ResponseWriter: w, before: renameDigest(d)}, r2)
}

// upload handles the two upload requests that carry a digest: the final
// PUT (?digest=) and a cross-repository mount (POST ?mount=&from=).
func (s *specShim) upload(w http.ResponseWriter, r *http.Request, name string) {
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodPut && q.Get("digest") != "":
		if d, ok := nonCanonical(q.Get("digest")); ok {
			w = &hookWriter{ResponseWriter: w, before: renameDigest(d)}
		}
	case r.Method == http.MethodPost && q.Get("mount") != "":
		d, ok := nonCanonical(q.Get("mount"))
		if !ok {
			break
		}
		canon := s.findBlobLink(q.Get("from"), d)
		if canon == "" {
			break // distribution answers 202 with a new upload
		}
		q.Set("mount", canon.String())
		r = r.Clone(r.Context())
		r.URL.RawQuery = q.Encode()
		target, err := s.fs.blobLink(name, d)
		if err != nil {
			break
		}
		w = &hookWriter{ResponseWriter: w, before: func(status int, h http.Header) {
			if status == http.StatusCreated {
				if writeFile(target, []byte(canon.String())) != nil {
					return
				}
			}
			renameDigest(d)(status, h)
		}}
	}
	s.next.ServeHTTP(w, r)
}

// findBlobLink finds the canonical digest behind d in repository from.
func (s *specShim) findBlobLink(from string, d digest.Digest) digest.Digest {
	if from == "" {
		return ""
	}
	link, err := s.fs.blobLink(from, d)
	if err != nil {
		return ""
	}
	return readLink(link)
}

// maxManifest is distribution's own limit on a manifest body.
const maxManifest = 4 << 20

// putManifest verifies a push by non-canonical digest itself (distribution
// only computes sha256), hands distribution the canonical reference, and
// links the pushed digest to it. Manifests with a subject get the
// OCI-Subject header and a referrers entry.
func (s *specShim) putManifest(w http.ResponseWriter, r *http.Request, name, ref string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxManifest+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "MANIFEST_INVALID", "manifest invalid", err.Error())
		return
	}
	if len(body) > maxManifest {
		writeError(w, http.StatusRequestEntityTooLarge, "SIZE_INVALID", "manifest too large", "")
		return
	}
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))

	alias, aliased := nonCanonical(ref)
	canon := digest.FromBytes(body)
	if aliased {
		if !alias.Algorithm().Available() || alias.Algorithm().FromBytes(body) != alias {
			writeError(w, http.StatusBadRequest, "DIGEST_INVALID", "provided digest did not match uploaded content", ref)
			return
		}
		r2.URL.Path = "/v2/" + name + "/manifests/" + canon.String()
		r2.URL.RawPath = ""
	}
	own := canon
	if aliased {
		own = alias
	}
	desc, subject := describeManifest(body, r.Header.Get("Content-Type"), own)
	hw := &hookWriter{ResponseWriter: w, before: func(status int, h http.Header) {
		if status != http.StatusCreated {
			return
		}
		if aliased {
			if link, err := s.fs.revisionLink(name, alias); err == nil {
				writeFile(link, []byte(canon.String()))
			}
			renameDigest(alias)(status, h)
		}
		if subject != "" {
			s.addReferrer(name, subject, desc)
			h.Set("OCI-Subject", subject.String())
		}
	}}
	s.next.ServeHTTP(hw, r2)
}

func (s *specShim) deleteManifest(w http.ResponseWriter, r *http.Request, name, ref string) {
	d, err := digest.Parse(ref)
	if err != nil {
		s.next.ServeHTTP(w, r) // a tag: distribution's tag delete
		return
	}
	var aliasLink string
	if alias, ok := nonCanonical(ref); ok {
		if link, err := s.fs.revisionLink(name, alias); err == nil {
			if canon := readLink(link); canon != "" {
				aliasLink = link
				r = r.Clone(r.Context())
				r.URL.Path = "/v2/" + name + "/manifests/" + canon.String()
				r.URL.RawPath = ""
			}
		}
	}
	hw := &hookWriter{ResponseWriter: w, before: func(status int, _ http.Header) {
		if status == http.StatusAccepted {
			s.dropReferrer(name, d)
			if aliasLink != "" {
				os.Remove(aliasLink)
			}
		}
	}}
	s.next.ServeHTTP(hw, r)
}
