package registry

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// newTestRegistry serves a registry on a temp dir through httptest.
func newTestRegistry(t *testing.T) *httptest.Server {
	t.Helper()
	cfg, err := Options{Root: t.TempDir(), LogLevel: "error"}.Config()
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, method, url, ctype string, body []byte) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", ocispec.MediaTypeImageManifest+", "+ocispec.MediaTypeImageIndex)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func pushBlob(t *testing.T, base, repo string, data []byte, d digest.Digest) {
	t.Helper()
	resp := do(t, http.MethodPost, base+"/v2/"+repo+"/blobs/uploads/", "", nil)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("start upload: %s", resp.Status)
	}
	loc, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	q := loc.Query()
	q.Set("digest", d.String())
	loc.RawQuery = q.Encode()
	resp = do(t, http.MethodPut, loc.String(), "application/octet-stream", data)
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("push blob %s: %s %s", d, resp.Status, b)
	}
	if got := resp.Header.Get("Docker-Content-Digest"); got != d.String() {
		t.Errorf("push blob: Docker-Content-Digest = %s, want %s", got, d)
	}
}

func TestReferrersAndSubject(t *testing.T) {
	srv := newTestRegistry(t)
	repo := "test/refs"
	cfg := []byte("{}")
	cfgD := digest.FromBytes(cfg)
	pushBlob(t, srv.URL, repo, cfg, cfgD)
	subject := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, Config: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: cfgD, Size: 2}, Layers: []ocispec.Descriptor{}}
	subject.SchemaVersion = 2
	sb, _ := json.Marshal(subject)
	sd := digest.FromBytes(sb)
	if resp := do(t, http.MethodPut, srv.URL+"/v2/"+repo+"/manifests/v1", ocispec.MediaTypeImageManifest, sb); resp.StatusCode != http.StatusCreated {
		t.Fatalf("put subject: %s", resp.Status)
	}
	art := subject
	art.ArtifactType = "application/vnd.example.sig"
	art.Subject = &ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: sd, Size: int64(len(sb))}
	ab, _ := json.Marshal(art)
	ad := digest.FromBytes(ab)
	resp := do(t, http.MethodPut, srv.URL+"/v2/"+repo+"/manifests/"+ad.String(), ocispec.MediaTypeImageManifest, ab)
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("OCI-Subject") != sd.String() {
		t.Fatalf("put referrer: %s OCI-Subject=%q", resp.Status, resp.Header.Get("OCI-Subject"))
	}
	tests := []struct {
		query string
		want  int
	}{
		{"", 1},
		{"?artifactType=application/vnd.example.sig", 1},
		{"?artifactType=application/other", 0},
	}
	for _, tc := range tests {
		resp := do(t, http.MethodGet, srv.URL+"/v2/"+repo+"/referrers/"+sd.String()+tc.query, "", nil)
		var idx ocispec.Index
		json.NewDecoder(resp.Body).Decode(&idx)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != ocispec.MediaTypeImageIndex || len(idx.Manifests) != tc.want {
			t.Errorf("referrers%s: %s %q %d manifests, want %d", tc.query, resp.Status, resp.Header.Get("Content-Type"), len(idx.Manifests), tc.want)
		}
		if tc.want == 1 && idx.Manifests[0].Digest != ad {
			t.Errorf("referrer digest %s, want %s", idx.Manifests[0].Digest, ad)
		}
	}
	if resp := do(t, http.MethodGet, srv.URL+"/v2/"+repo+"/referrers/sha256:nothex", "", nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("malformed digest: %s, want 400", resp.Status)
	}
	// Deleting the referrer removes it from the list.
	if resp := do(t, http.MethodDelete, srv.URL+"/v2/"+repo+"/manifests/"+ad.String(), "", nil); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("delete: %s", resp.Status)
	}
	resp = do(t, http.MethodGet, srv.URL+"/v2/"+repo+"/referrers/"+sd.String(), "", nil)
	var idx ocispec.Index
	json.NewDecoder(resp.Body).Decode(&idx)
	if len(idx.Manifests) != 0 {
		t.Errorf("deleted referrer still listed: %v", idx.Manifests)
	}
}

func TestSHA512(t *testing.T) {
	srv := newTestRegistry(t)
	repo := "test/sha512"
	blob := []byte("some layer bytes")
	sum := sha512.Sum512(blob)
	d := digest.NewDigestFromEncoded(digest.SHA512, hex.EncodeToString(sum[:]))
	pushBlob(t, srv.URL, repo, blob, d)
	resp := do(t, http.MethodGet, srv.URL+"/v2/"+repo+"/blobs/"+d.String(), "", nil)
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, blob) || resp.Header.Get("Docker-Content-Digest") != d.String() {
		t.Errorf("get sha512 blob: %s %q digest %s", resp.Status, got, resp.Header.Get("Docker-Content-Digest"))
	}
	mf := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"` + d.String() + `","size":16},"layers":[]}`)
	ms := sha512.Sum512(mf)
	md := digest.NewDigestFromEncoded(digest.SHA512, hex.EncodeToString(ms[:]))
	if resp := do(t, http.MethodPut, srv.URL+"/v2/"+repo+"/manifests/"+md.String(), ocispec.MediaTypeImageManifest, mf); resp.StatusCode != http.StatusCreated || resp.Header.Get("Docker-Content-Digest") != md.String() {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("put sha512 manifest: %s %s %s", resp.Status, resp.Header.Get("Docker-Content-Digest"), b)
	}
	resp = do(t, http.MethodGet, srv.URL+"/v2/"+repo+"/manifests/"+md.String(), "", nil)
	got, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, mf) {
		t.Errorf("get sha512 manifest: %s", resp.Status)
	}
	wrong := strings.Replace(md.String(), md.Encoded()[:4], "0000", 1)
	if resp := do(t, http.MethodPut, srv.URL+"/v2/"+repo+"/manifests/"+wrong, ocispec.MediaTypeImageManifest, mf); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("put with a wrong sha512: %s, want 400", resp.Status)
	}
}

// FuzzDescribeManifest: whatever a client pushes, describing it never
// panics and only a well-formed subject makes a referrer.
func FuzzDescribeManifest(f *testing.F) {
	f.Add([]byte(`{"subject":{"digest":"sha256:`+strings.Repeat("a", 64)+`"},"artifactType":"x"}`), "application/json")
	f.Add([]byte(`{"subject":{"digest":"bogus"}}`), "")
	f.Add([]byte(`[]`), "")
	f.Fuzz(func(t *testing.T, body []byte, ctype string) {
		desc, subject := describeManifest(body, ctype, digest.FromBytes(body))
		if subject != "" && subject.Validate() != nil {
			t.Errorf("invalid subject %q accepted", subject)
		}
		if subject == "" && desc.Digest != "" {
			t.Error("descriptor without subject")
		}
	})
}
