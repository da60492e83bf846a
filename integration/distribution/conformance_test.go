package distribution

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// conformanceModule is the OCI distribution-spec conformance suite, at the
// version the module proxy serves here.
const conformanceModule = "github.com/opencontainers/distribution-spec/conformance@v0.0.0-20260831232431-97274622c111"

// buildConformance builds the suite's program from the module proxy.
func buildConformance(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	run := func(args ...string) {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Skipf("cannot build the conformance suite (module proxy unreachable?): go %v: %v\n%s", args, err, out)
		}
	}
	run("mod", "init", "conformancebuild")
	run("get", conformanceModule)
	bin := filepath.Join(dir, "conformance")
	run("build", "-o", bin, strings.Split(conformanceModule, "@")[0])
	return bin
}

// TestConformance runs the official suite with its default (1.1) settings
// against `berth registry serve`: pull, push, content discovery (tag
// paging, referrers) and content management, sha512 included.
func TestConformance(t *testing.T) {
	bin := buildConformance(t)
	reg := startRegistry(t)
	results := t.TempDir()
	cmd := exec.Command(bin)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(),
		"OCI_REGISTRY="+reg.Addr, "OCI_TLS=disabled", "OCI_RESULTS_DIR="+results,
		"OCI_REPO1=conformance/repo1", "OCI_REPO2=conformance/repo2",
		// Upload cancel is optional in the spec; we implement it.
		"OCI_API_BLOBS_UPLOAD_CANCEL=true",
	)
	out, err := cmd.CombinedOutput()
	pass := strings.Count(string(out), ": Pass\n")
	fail := strings.Count(string(out), ": FAIL\n")
	t.Logf("OCI conformance: %d passed, %d failed", pass, fail)
	if err != nil || fail > 0 || pass == 0 {
		var warn []string
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, "failed test") {
				warn = append(warn, l)
			}
		}
		t.Fatalf("conformance suite: %v\n%s", err, strings.Join(warn, "\n"))
	}
}
