package distribution

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/berth-project/berth/internal/testutil"
)

// faultyProxy sits in front of a registry and spoils the layer blobs it
// serves according to mode: "corrupt" flips a byte, "truncate" cuts the
// body (then the connection) halfway, "missing" answers 404.
type faultyProxy struct {
	Addr string
	mode atomic.Value // string
}

func startFaultyProxy(t *testing.T, upstream string) *faultyProxy {
	t.Helper()
	target, _ := url.Parse("http://" + upstream)
	rp := httputil.NewSingleHostReverseProxy(target)
	fp := &faultyProxy{}
	fp.mode.Store("")
	rp.ModifyResponse = func(resp *http.Response) error {
		mode := fp.mode.Load().(string)
		if mode == "" || resp.Request.Method != http.MethodGet || !strings.Contains(resp.Request.URL.Path, "/blobs/") || resp.ContentLength < 1024 {
			return nil
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		switch mode {
		case "corrupt":
			body[len(body)/2] ^= 0xff
		case "truncate":
			resp.Body = io.NopCloser(io.MultiReader(strings.NewReader(string(body[:len(body)/2])), errReader{}))
			return nil
		case "missing":
			resp.StatusCode = http.StatusNotFound
			body = []byte(`{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}`)
			resp.ContentLength = int64(len(body))
			resp.Header.Set("Content-Length", fmt.Sprint(len(body)))
		}
		resp.Body = io.NopCloser(strings.NewReader(string(body)))
		return nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: rp}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	fp.Addr = l.Addr().String()
	return fp
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

// TestPullRejectsBadBlobs: a blob that does not match its digest, a
// truncated download and a manifest naming a missing blob each fail the
// pull with a clear error and store no image; the next honest pull works.
func TestPullRejectsBadBlobs(t *testing.T) {
	d := daemon(t)
	reg := startRegistry(t)
	ref := reg.Addr + "/bad/blobs:1"
	uniqueImage(t, d.Run, ref)
	mustRun(t, d.Run, "push", ref)
	mustRun(t, d.Run, "rmi", ref)
	fp := startFaultyProxy(t, reg.Addr)
	viaProxy := fp.Addr + "/bad/blobs:1"

	for _, tc := range []struct{ mode, want string }{
		{"corrupt", "sha256"},
		{"truncate", "EOF"},
		{"missing", "blob unknown"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			fp.mode.Store(tc.mode)
			out, err := d.Run("pull", viaProxy)
			if err == nil {
				t.Fatalf("pull of spoiled blobs succeeded:\n%s", out)
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("error does not say what went wrong (want %q):\n%s", tc.want, out)
			}
			if out, err := d.Run("image", "inspect", viaProxy); err == nil {
				t.Errorf("a failed pull stored the image:\n%s", out)
			}
		})
	}
	fp.mode.Store("")
	mustRun(t, d.Run, "pull", viaProxy)
	mustRun(t, d.Run, "rmi", viaProxy)
}

// TestPullByDigestAndIndex pulls by digest, and an OCI index whose host
// platform entry must be chosen (another platform's entry is garbage).
func TestPullByDigestAndIndex(t *testing.T) {
	d := daemon(t)
	reg := startRegistry(t)
	ref := reg.Addr + "/multi/arch:1"
	mustRun(t, d.Run, "tag", "busybox", ref)
	mustRun(t, d.Run, "push", ref)
	mfBody, mfDigest := getManifest(t, reg.Addr, "multi/arch", "1")
	mustRun(t, d.Run, "rmi", ref)

	byDigest := reg.Addr + "/multi/arch@" + mfDigest
	out := mustRun(t, d.Run, "pull", byDigest)
	if !strings.Contains(out, "Digest: "+mfDigest) {
		t.Errorf("digest pull output:\n%s", out)
	}
	mustRun(t, d.Run, "rmi", byDigest)

	// An index: arm64 points at a manifest that does not exist, amd64 at
	// the real one.
	idx := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[`+
		`{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%064d","size":%d,"platform":{"architecture":"arm64","os":"linux"}},`+
		`{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"%s","size":%d,"platform":{"architecture":"amd64","os":"linux"}}]}`,
		0, len(mfBody), mfDigest, len(mfBody))
	req, _ := http.NewRequest(http.MethodPut, "http://"+reg.Addr+"/v2/multi/arch/manifests/index", strings.NewReader(idx))
	req.Header.Set("Content-Type", "application/vnd.oci.image.index.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Skipf("registry refused the index (%s); cannot test platform choice", resp.Status)
	}
	mustRun(t, d.Run, "pull", reg.Addr+"/multi/arch:index")
	arch := mustRun(t, d.Run, "image", "inspect", "--format", "{{.Architecture}}", reg.Addr+"/multi/arch:index")
	if strings.TrimSpace(arch) != "amd64" {
		t.Errorf("architecture = %q", arch)
	}
	out, err = d.Run("pull", "--platform", "linux/s390x", reg.Addr+"/multi/arch:index")
	if err == nil || !strings.Contains(out, "no matching manifest for linux/s390x") {
		t.Errorf("pull of a platform the index lacks: err=%v\n%s", err, out)
	}
	mustRun(t, d.Run, "rmi", reg.Addr+"/multi/arch:index")

	for name, cli := range testutil.CLIs(d) {
		missing := reg.Addr + "/multi/arch:nope"
		out, err := cli("pull", missing)
		if err == nil || !strings.Contains(out, "manifest for "+missing+" not found: manifest unknown") {
			t.Errorf("%s: pull of a missing tag: err=%v\n%s", name, err, out)
		}
	}
}

// uniqueImage commits busybox plus a layer of random bytes as ref, so
// that a pull of it must download that layer.
func uniqueImage(t *testing.T, cli func(...string) (string, error), ref string) {
	t.Helper()
	name := strings.NewReplacer("/", "-", ":", "-", ".", "-").Replace(t.Name())
	mustRun(t, cli, "run", "--name", name, "busybox", "dd", "if=/dev/urandom", "of=/random", "bs=1024", "count=256")
	defer cli("rm", "-f", name)
	mustRun(t, cli, "commit", name, ref)
}

func getManifest(t *testing.T, addr, repo, ref string) ([]byte, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/v2/"+repo+"/manifests/"+ref, nil)
	req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("manifest %s: %s %s", ref, resp.Status, body)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	return body, resp.Header.Get("Docker-Content-Digest")
}
