package registry

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// The referrers API of distribution-spec 1.1: every manifest pushed with a
// subject is recorded as a descriptor file under the subject's directory
// (see layout); GET /v2/<name>/referrers/<digest> lists them as an OCI
// index, filtered by ?artifactType=.

// manifestFields are the parts of an image manifest or index that make a
// referrer descriptor.
type manifestFields struct {
	MediaType    string              `json:"mediaType"`
	ArtifactType string              `json:"artifactType"`
	Config       *ocispec.Descriptor `json:"config"`
	Subject      *ocispec.Descriptor `json:"subject"`
	Annotations  map[string]string   `json:"annotations"`
}

// describeManifest returns the descriptor a referrers index lists for a
// manifest body and the digest of its subject ("" without one).
func describeManifest(body []byte, contentType string, d digest.Digest) (ocispec.Descriptor, digest.Digest) {
	var m manifestFields
	if json.Unmarshal(body, &m) != nil || m.Subject == nil || m.Subject.Digest.Validate() != nil {
		return ocispec.Descriptor{}, ""
	}
	mt := m.MediaType
	if mt == "" {
		mt = contentType
	}
	at := m.ArtifactType
	// An image manifest without artifactType is typed by its config.
	if at == "" && m.Config != nil && m.Config.MediaType != ocispec.MediaTypeEmptyJSON {
		at = m.Config.MediaType
	}
	return ocispec.Descriptor{MediaType: mt, ArtifactType: at, Digest: d, Size: int64(len(body)), Annotations: m.Annotations}, m.Subject.Digest
}

func referrerFile(dir string, d digest.Digest) string {
	return filepath.Join(dir, string(d.Algorithm())+"-"+d.Encoded()+".json")
}

func (s *specShim) addReferrer(name string, subject digest.Digest, desc ocispec.Descriptor) {
	dir, err := s.fs.referrersDir(name, subject)
	if err != nil {
		return
	}
	data, err := json.Marshal(desc)
	if err != nil {
		return
	}
	writeFile(referrerFile(dir, desc.Digest), data)
}

// dropReferrer removes a deleted manifest from whatever subject lists it.
func (s *specShim) dropReferrer(name string, d digest.Digest) {
	dir, err := s.fs.referrersDir(name, d)
	if err != nil {
		return
	}
	repo := filepath.Dir(filepath.Dir(dir)) // <root>/berth/referrers/<name>
	base := filepath.Base(referrerFile("", d))
	filepath.WalkDir(repo, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() && e.Name() == base {
			os.Remove(p)
		}
		return nil
	})
}

func (s *specShim) referrers(w http.ResponseWriter, r *http.Request, name, ref string) {
	subject, err := digest.Parse(ref)
	if err != nil {
		writeError(w, http.StatusBadRequest, "DIGEST_INVALID", "provided digest did not match uploaded content", ref)
		return
	}
	if !s.authorized(w, r, name) {
		return
	}
	dir, err := s.fs.referrersDir(name, subject)
	if err != nil {
		writeError(w, http.StatusBadRequest, "NAME_INVALID", "invalid repository name", name)
		return
	}
	want := r.URL.Query().Get("artifactType")
	idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{}}
	idx.SchemaVersion = 2
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		var d ocispec.Descriptor
		if json.Unmarshal(b, &d) != nil || (want != "" && d.ArtifactType != want) {
			continue
		}
		idx.Manifests = append(idx.Manifests, d)
	}
	sort.Slice(idx.Manifests, func(i, j int) bool { return idx.Manifests[i].Digest < idx.Manifests[j].Digest })
	body, _ := json.Marshal(idx)
	w.Header().Set("Content-Type", ocispec.MediaTypeImageIndex)
	if want != "" {
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// authorized asks distribution's access controller about a pull of name
// by replaying the request's credentials on the repository's tag list; a
// 401/403 answer is passed on to the client as it is.
func (s *specShim) authorized(w http.ResponseWriter, r *http.Request, name string) bool {
	probe := r.Clone(r.Context())
	probe.Method = http.MethodGet
	probe.URL.Path = "/v2/" + name + "/tags/list"
	probe.URL.RawPath = ""
	probe.URL.RawQuery = "n=0"
	rec := httptest.NewRecorder()
	s.next.ServeHTTP(rec, probe)
	if rec.Code != http.StatusUnauthorized && rec.Code != http.StatusForbidden {
		return true
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
	return false
}

// writeError answers in the registry's error format.
func writeError(w http.ResponseWriter, status int, code, msg, detail string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{"code": code, "message": msg, "detail": detail}}})
}
