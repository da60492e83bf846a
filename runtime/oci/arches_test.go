package oci

import (
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestDropUnsupportedArches(t *testing.T) {
	x32Once.Do(func() {}) // pin the detection to the value set below
	defer func(v bool) { x32Supported = v }(x32Supported)
	in := []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32}
	tests := []struct {
		x32  bool
		want []specs.Arch
	}{
		{true, in},
		{false, []specs.Arch{specs.ArchX86_64, specs.ArchX86}},
	}
	for _, tt := range tests {
		x32Supported = tt.x32
		if got := dropUnsupportedArches(slices.Clone(in)); !slices.Equal(got, tt.want) {
			t.Errorf("x32=%v: got %v, want %v", tt.x32, got, tt.want)
		}
	}
}
