package oci

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var update = flag.Bool("update", false, "rewrite testdata/*.json golden files")

// normalizeForGolden removes the parts of a spec that depend on the host
// rather than on our code: the temp rootfs path, the seccomp rule list
// (kernel-version dependent), per-CPU masked paths, host device nodes and
// the capabilities this process happens to hold. Each is checked by
// other tests.
func normalizeForGolden(t *testing.T, s *specs.Spec, rootfs string) []byte {
	t.Helper()
	c := *s
	lc := *s.Linux
	c.Linux = &lc
	if lc.Seccomp != nil {
		sc := *lc.Seccomp
		sc.Syscalls = nil
		// x32 is dropped on kernels without the x32 ABI (host-dependent).
		sc.Architectures = nil
		lc.Seccomp = &sc
	}
	var masked []string
	for _, p := range lc.MaskedPaths {
		if !strings.Contains(p, "thermal_throttle") {
			masked = append(masked, p)
		}
	}
	lc.MaskedPaths = masked
	if len(lc.Devices) > 20 {
		lc.Devices = []specs.LinuxDevice{{Path: "<host devices>"}}
	}
	pc := *s.Process
	c.Process = &pc
	if caps := pc.Capabilities; caps != nil && len(caps.Bounding) > len(DefaultCapabilities())+4 {
		pc.Capabilities = &specs.LinuxCapabilities{Bounding: []string{"<all>"}, Effective: []string{"<all>"}, Permitted: []string{"<all>"}}
	}
	b, err := json.MarshalIndent(&c, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(bytes.ReplaceAll(b, []byte(rootfs), []byte("<rootfs>")), '\n')
}

func TestGolden(t *testing.T) {
	if cgroupV2() {
		t.Skip("golden files were recorded on a cgroup v1 host (no cgroup namespace)")
	}
	root := fakeRootfs(t)
	tests := map[string]func(in *Input){
		"busybox-default":    func(in *Input) {},
		"busybox-privileged": func(in *Input) { in.HostConfig.Privileged = true },
	}
	for name, edit := range tests {
		t.Run(name, func(t *testing.T) {
			in := baseInput(t, root)
			edit(&in)
			s, err := Generate(in)
			if err != nil {
				t.Fatal(err)
			}
			got := normalizeForGolden(t, s, root)
			file := filepath.Join("testdata", name+".json")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from generated spec; got:\n%s", file, got)
			}
		})
	}
}
