package compose

import (
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

func TestServiceHash(t *testing.T) {
	base := types.ServiceConfig{Name: "web"}
	base.Image = "busybox"
	h0, err := ServiceHash(base)
	if err != nil {
		t.Fatal(err)
	}
	two := 2
	tests := []struct {
		name string
		edit func(*types.ServiceConfig)
		same bool
	}{
		{"scale does not count", func(s *types.ServiceConfig) { s.Scale = &two }, true},
		{"a deploy section counts, even with replicas only", func(s *types.ServiceConfig) { s.Deploy = &types.DeployConfig{Replicas: &two} }, false},
		{"depends_on does not count", func(s *types.ServiceConfig) {
			s.DependsOn = types.DependsOnConfig{"db": {Condition: "service_started"}}
		}, true},
		{"build does not count", func(s *types.ServiceConfig) { s.Build = &types.BuildConfig{Context: "."} }, true},
		{"profiles do not count", func(s *types.ServiceConfig) { s.Profiles = []string{"x"} }, true},
		{"image counts", func(s *types.ServiceConfig) { s.Image = "other" }, false},
		{"command counts", func(s *types.ServiceConfig) { s.Command = types.ShellCommand{"sleep", "1"} }, false},
		{"custom labels do not count", func(s *types.ServiceConfig) { s.CustomLabels = types.Labels{"a": "b"} }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base
			tt.edit(&s)
			h, err := ServiceHash(s)
			if err != nil {
				t.Fatal(err)
			}
			if (h == h0) != tt.same {
				t.Fatalf("hash equal = %v, want %v", h == h0, tt.same)
			}
		})
	}
	// A deploy section with only replicas differs from none at all (the
	// empty struct is still marshalled), as in Compose; but changing only
	// the replica count keeps the hash.
	three := 3
	a, b := base, base
	a.Deploy = &types.DeployConfig{Replicas: &two}
	b.Deploy = &types.DeployConfig{Replicas: &three}
	ha, _ := ServiceHash(a)
	hb, _ := ServiceHash(b)
	if ha != hb {
		t.Fatal("replica count changed the hash")
	}
	if *a.Deploy.Replicas != 2 {
		t.Fatal("ServiceHash modified its argument's deploy section")
	}
}
