package builder

import (
	"bytes"
	"testing"

	"github.com/berth-project/berth/image"
	containertypes "github.com/moby/moby/api/types/container"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func img(diffs []string, hist ...string) *image.Image {
	i := &image.Image{}
	for _, d := range diffs {
		i.Config.RootFS.DiffIDs = append(i.Config.RootFS.DiffIDs, digest.Digest(d))
	}
	for _, h := range hist {
		i.Config.History = append(i.Config.History, ocispec.History{CreatedBy: h, EmptyLayer: h[0] == '#'})
	}
	return i
}

func TestIsPrefix(t *testing.T) {
	base := img([]string{"sha256:a"}, "import")
	tests := []struct {
		name   string
		target *image.Image
		want   bool
	}{
		{"continues", img([]string{"sha256:a", "sha256:b"}, "import", "run x"), true},
		{"other layers", img([]string{"sha256:z", "sha256:b"}, "import", "run x"), false},
		{"other history", img([]string{"sha256:a"}, "other", "#env"), false},
		{"not longer", img([]string{"sha256:a"}, "import"), false},
	}
	for _, tt := range tests {
		if got := isPrefix(base, tt.target); got != tt.want {
			t.Errorf("%s: isPrefix = %v", tt.name, got)
		}
	}
}

func TestCacheKey(t *testing.T) {
	cfg := &containertypes.Config{Cmd: []string{"/bin/sh", "-c", "x"}, Labels: map[string]string{"b": "2", "a": "1"}}
	k1 := cacheKey("sha256:p", cfg)
	cp := copyConfig(cfg)
	if k2 := cacheKey("sha256:p", cp); k2 != k1 {
		t.Error("same config, other key")
	}
	cp.Cmd = []string{"/bin/sh", "-c", "y"}
	if cacheKey("sha256:p", cp) == k1 || cacheKey("sha256:q", cfg) == k1 {
		t.Error("different step or parent, same key")
	}
}

func TestPullOutput(t *testing.T) {
	var out bytes.Buffer
	p := &pullOutput{w: &out}
	p.Write([]byte(`{"status":"Pulling from library/busybox","id":"latest"}` + "\n" + `{"status":"Downloading","progressDetail":{"current":1},"progress":"[=>  ]","id":"abc"}` + "\n" + `{"status":"Pull comp`))
	p.Write([]byte(`lete","id":"abc"}` + "\n"))
	if got := out.String(); got != "latest: Pulling from library/busybox\nabc: Pull complete\n" {
		t.Errorf("got %q", got)
	}
}
