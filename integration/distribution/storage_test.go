package distribution

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// layerDigests lists the layer blobs of a schema2/OCI manifest.
func layerDigests(t *testing.T, mf []byte) []string {
	t.Helper()
	var m struct {
		Layers []struct{ Digest string } `json:"layers"`
	}
	if err := json.Unmarshal(mf, &m); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range m.Layers {
		out = append(out, l.Digest)
	}
	return out
}

// TestGCAfterTagDelete: once a manifest is deleted, gc removes the blobs
// only it used (not with --dry-run), and keeps those another tag needs.
func TestGCAfterTagDelete(t *testing.T) {
	d := daemon(t)
	reg := startRegistry(t)
	keep, drop := reg.Addr+"/gc/repo:keep", reg.Addr+"/gc/repo:drop"
	mustRun(t, d.Run, "tag", "busybox", keep)
	uniqueImage(t, d.Run, drop)
	mustRun(t, d.Run, "push", keep)
	mustRun(t, d.Run, "push", drop)
	mustRun(t, d.Run, "rmi", keep, drop)
	keepMf, _ := getManifest(t, reg.Addr, "gc/repo", "keep")
	dropMf, dropDigest := getManifest(t, reg.Addr, "gc/repo", "drop")
	shared, unique := layerDigests(t, keepMf)[0], layerDigests(t, dropMf)[1]

	req, _ := http.NewRequest(http.MethodDelete, "http://"+reg.Addr+"/v2/gc/repo/manifests/"+dropDigest, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("delete manifest: %s", resp.Status)
	}
	reg.gc(t, "--dry-run")
	if _, err := os.Stat(reg.blobPath(unique)); err != nil {
		t.Fatalf("dry run removed a blob: %v", err)
	}
	reg.gc(t)
	if _, err := os.Stat(reg.blobPath(unique)); !os.IsNotExist(err) {
		t.Errorf("gc kept the unreferenced layer %s (err %v)", unique, err)
	}
	if _, err := os.Stat(reg.blobPath(shared)); err != nil {
		t.Errorf("gc removed a layer still referenced: %v", err)
	}
	mustRun(t, d.Run, "pull", keep)
	mustRun(t, d.Run, "rmi", keep)
}

// TestRegistryKilledDuringPush: SIGKILL of the registry in the middle of
// an upload leaves a repository that serves what was complete, takes the
// push again after a restart, and gc cleans up.
func TestRegistryKilledDuringPush(t *testing.T) {
	d := daemon(t)
	reg := startRegistry(t)
	ref := reg.Addr + "/crash/push:1"
	name := strings.ReplaceAll(t.Name(), "/", "-")
	mustRun(t, d.Run, "run", "--name", name, "busybox", "dd", "if=/dev/urandom", "of=/big", "bs=1048576", "count=64")
	defer d.Run("rm", "-f", name)
	mustRun(t, d.Run, "commit", name, ref)
	defer d.Run("rmi", ref)

	done := make(chan error, 1)
	go func() { _, err := d.Run("push", ref); done <- err }()
	// Kill once the upload is under way (its temp data exists).
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if ents, _ := os.ReadDir(reg.Root + "/docker/registry/v2/repositories/crash/push/_uploads"); len(ents) > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	reg.kill()
	if err := <-done; err == nil {
		t.Log("push finished before the kill; the restart checks still apply")
	}
	reg2 := startRegistryAt(t, reg.Root)
	ref2 := reg2.Addr + "/crash/push:1"
	mustRun(t, d.Run, "tag", ref, ref2)
	mustRun(t, d.Run, "push", ref2)
	mustRun(t, d.Run, "rmi", ref2)
	mustRun(t, d.Run, "pull", ref2)
	mustRun(t, d.Run, "rmi", ref2)
	reg2.gc(t)
}

// TestConcurrentPullsFetchOnce: two pulls of one image at the same time
// fetch each blob from the registry once.
func TestConcurrentPullsFetchOnce(t *testing.T) {
	d := daemon(t)
	reg := startRegistry(t)
	ref := reg.Addr + "/twice/pulled:1"
	uniqueImage(t, d.Run, ref)
	mustRun(t, d.Run, "push", ref)
	mustRun(t, d.Run, "rmi", ref)

	var mu sync.Mutex
	gets := map[string]int{}
	target, _ := url.Parse("http://" + reg.Addr)
	rp := httputil.NewSingleHostReverseProxy(target)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/sha256:") {
			mu.Lock()
			gets[r.URL.Path]++
			mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	})}
	go srv.Serve(l)
	defer srv.Close()
	viaProxy := l.Addr().String() + "/twice/pulled:1"

	var wg sync.WaitGroup
	errs := make([]error, 2)
	outs := make([]string, 2)
	for i := range 2 {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			outs[i], errs[i] = d.Run("pull", viaProxy)
		}(i)
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil {
			t.Fatalf("pull %d: %v\n%s", i, errs[i], outs[i])
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for p, n := range gets {
		// The config blob is small and read by each pull; layers once.
		if n > 1 && !isConfig(t, reg.Addr, p) {
			t.Errorf("%s fetched %d times", p, n)
		}
	}
	mustRun(t, d.Run, "rmi", viaProxy)
}

func isConfig(t *testing.T, addr, path string) bool {
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return json.Valid(b)
}

var _ = fmt.Sprint
