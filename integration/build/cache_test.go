package build

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var builtRE = regexp.MustCompile(`Successfully built ([0-9a-f]{12})`)

func builtID(t *testing.T, out string) string {
	t.Helper()
	m := builtRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no image ID in:\n%s", out)
	}
	return m[1]
}

// steps returns, per "Step N/M", whether it was a cache hit.
func cacheHits(out string) []bool {
	var hits []bool
	for _, block := range strings.Split(out, "Step ")[1:] {
		hits = append(hits, strings.Contains(block, " ---> Using cache"))
	}
	return hits
}

func TestCache(t *testing.T) {
	d := daemon(t)
	berth := filepath.Join(d.Bin, "berth")
	df := "FROM busybox\nARG V=1\nRUN echo run-$V > /r\nCOPY f /f\nRUN cat /f\n"
	dir := writeFiles(t, map[string]string{"Dockerfile": df, "f": "one\n"})
	tag := "it-cache"
	rmi(t, d, tag)
	build := func(args ...string) string {
		t.Helper()
		out, err := cli(d, berth, dir, "", append(append([]string{"build", "-t", tag}, args...), ".")...)
		if err != nil {
			t.Fatalf("build %v: %v\n%s\n%s", args, err, out, d.Log())
		}
		return out
	}
	first := build("--no-cache")
	id := builtID(t, first)
	second := build()
	if got := cacheHits(second); len(got) != 5 || !got[1] || !got[2] || !got[3] || !got[4] {
		t.Errorf("rebuild should hit every step: %v\n%s", got, second)
	}
	if builtID(t, second) != id {
		t.Errorf("cached rebuild gave another image")
	}
	if strings.Contains(second, "Running in") {
		t.Errorf("cached rebuild ran a container:\n%s", second)
	}
	// A build arg in scope changes the RUN that sees it (and what follows).
	out := build("--build-arg", "V=2")
	if got := cacheHits(out); !got[1] || got[2] || got[3] {
		t.Errorf("--build-arg V=2: hits %v\n%s", got, out)
	}
	// Contents of a COPY source: that step and the next miss.
	os.WriteFile(filepath.Join(dir, "f"), []byte("two\n"), 0o644)
	out = build()
	if got := cacheHits(out); !got[2] || got[3] || got[4] {
		t.Errorf("changed file: hits %v\n%s", got, out)
	}
	// Metadata (mode) of a COPY source counts too.
	os.Chmod(filepath.Join(dir, "f"), 0o600)
	out = build()
	if got := cacheHits(out); got[3] {
		t.Errorf("changed mode: hits %v\n%s", got, out)
	}
	last := builtID(t, out)
	// The cache is in the daemon database: it survives a restart.
	if err := d.Restart(); err != nil {
		t.Fatal(err)
	}
	out = build()
	if got := cacheHits(out); !got[3] || !got[4] || builtID(t, out) != last {
		t.Errorf("after restart: hits %v\n%s", got, out)
	}
	out = build("--no-cache")
	for i, h := range cacheHits(out) {
		if h {
			t.Errorf("--no-cache hit step %d", i+1)
		}
	}
}

// TestCacheFrom: an image saved and loaded back (no local parent chain,
// no cache records) serves as cache for every step with --cache-from.
func TestCacheFrom(t *testing.T) {
	d := daemon(t)
	berth := filepath.Join(d.Bin, "berth")
	dir := writeFiles(t, map[string]string{"Dockerfile": "FROM busybox\nCOPY f /f\nRUN cat /f > /g\nENV X=1\n", "f": "data\n"})
	rmi(t, d, "it-cachefrom-src", "it-cachefrom")
	if out, err := cli(d, berth, dir, "", "build", "-t", "it-cachefrom-src", "."); err != nil {
		t.Fatal(err, out)
	}
	tarball := filepath.Join(t.TempDir(), "src.tar")
	if out, err := d.Run("save", "-o", tarball, "it-cachefrom-src"); err != nil {
		t.Fatal(err, out)
	}
	srcID, _ := d.Run("images", "-q", "--no-trunc", "it-cachefrom-src")
	d.Run("rmi", "it-cachefrom-src")
	if out, err := cli(d, berth, dir, "", "builder", "prune", "-af"); err != nil {
		t.Fatal(err, out)
	}
	if out, err := d.Run("load", "-i", tarball); err != nil {
		t.Fatal(err, out)
	}
	out, err := cli(d, berth, dir, "", "build", "--cache-from", "it-cachefrom-src", "-t", "it-cachefrom", ".")
	if err != nil {
		t.Fatal(err, out)
	}
	if hits := cacheHits(out); len(hits) != 4 || !hits[1] || !hits[2] || !hits[3] {
		t.Errorf("--cache-from should serve every step: %v\n%s", hits, out)
	}
	if strings.Contains(out, "Running in") {
		t.Errorf("a step ran:\n%s", out)
	}
	if got := builtID(t, out); !strings.Contains(srcID, got) {
		t.Errorf("result %s is not the source %s", got, srcID)
	}
	if got, _ := d.Run("run", "--rm", "it-cachefrom", "cat", "/g"); got != "data\n" {
		t.Errorf("content %q", got)
	}
}

// TestBuildCacheDiskUsage: the cache shows in `system df` and
// `builder prune` empties it, keeping tagged images.
func TestBuildCacheDiskUsage(t *testing.T) {
	d := daemon(t)
	berth := filepath.Join(d.Bin, "berth")
	dir := writeFiles(t, map[string]string{"Dockerfile": "FROM busybox\nRUN head -c 100000 /dev/zero > /z\nRUN echo x > /x\n"})
	rmi(t, d, "it-df")
	if out, err := cli(d, berth, dir, "", "build", "-t", "it-df", "."); err != nil {
		t.Fatal(err, out)
	}
	for name, bin := range clis(t, d) {
		df, err := cli(d, bin, dir, "", "system", "df")
		if err != nil {
			t.Fatal(err, df)
		}
		line := ""
		for _, l := range strings.Split(df, "\n") {
			if strings.HasPrefix(l, "Build Cache") {
				line = l
			}
		}
		if f := strings.Fields(line); len(f) < 4 || f[2] == "0" {
			t.Errorf("%s: system df build cache line %q\n%s", name, line, df)
		}
	}
	out, err := cli(d, berth, dir, "", "builder", "prune", "-af")
	if err != nil || !strings.Contains(out, "Deleted build cache objects:") || !strings.Contains(out, "Total reclaimed space:") {
		t.Fatalf("prune: %v\n%s", err, out)
	}
	if out, err := cli(d, berth, dir, "", "run", "--rm", "it-df", "cat", "/x"); err != nil || out != "x\n" {
		t.Errorf("tagged image lost by prune: %v %q", err, out)
	}
	df, _ := cli(d, berth, dir, "", "system", "df")
	if !regexp.MustCompile(`Build Cache\s+0\s`).MatchString(df) {
		t.Errorf("cache not empty after prune:\n%s", df)
	}
	out, _ = cli(d, berth, dir, "", "build", "-t", "it-df", ".")
	if strings.Contains(out, "Using cache") {
		t.Errorf("pruned cache still used:\n%s", out)
	}
	// The official CLI's builder prune reaches the same cache.
	for name, bin := range clis(t, d) {
		out, err := cli(d, bin, dir, "", "builder", "prune", "-af")
		if err != nil || !strings.Contains(out, "Total reclaimed space:") {
			t.Errorf("%s builder prune: %v\n%s", name, err, out)
		}
	}
}
