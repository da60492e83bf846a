package oci

import (
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestTmpfsMount(t *testing.T) {
	tests := []struct {
		dest, data string
		want       []string
		err        bool
	}{
		{"/run", "", []string{"noexec", "nosuid", "nodev", "rprivate"}, false},
		{"/run", "size=64m,mode=1770", []string{"noexec", "nosuid", "nodev", "rprivate", "size=64m", "mode=1770"}, false},
		{"/run", "exec,ro", []string{"nosuid", "nodev", "rprivate", "exec", "ro"}, false},
		{"/run", "bogus=1", nil, true},
		{"run", "", nil, true},
		{"/", "", nil, true},
	}
	for _, tt := range tests {
		m, err := TmpfsMount(tt.dest, tt.data)
		if tt.err {
			if err == nil {
				t.Errorf("%s %q: accepted", tt.dest, tt.data)
			}
			continue
		}
		if err != nil || m.Type != "tmpfs" || m.Source != "tmpfs" || m.Destination != tt.dest || !slices.Equal(m.Options, tt.want) {
			t.Errorf("%s %q: %+v %v, want %v", tt.dest, tt.data, m, err, tt.want)
		}
	}
}

func TestRootfsPropagation(t *testing.T) {
	bind := func(opts ...string) specs.Mount {
		return specs.Mount{Type: "bind", Options: append([]string{"rbind"}, opts...)}
	}
	tests := []struct {
		name string
		ms   []specs.Mount
		want string
	}{
		{"none", nil, ""},
		{"private", []specs.Mount{bind("rprivate")}, ""},
		{"rshared", []specs.Mount{bind("ro", "rshared")}, "shared"},
		{"shared", []specs.Mount{bind("shared")}, "shared"},
		{"rslave", []specs.Mount{bind("rslave")}, "rslave"},
		{"slave then shared", []specs.Mount{bind("slave"), bind("rshared")}, "shared"},
		{"shared then slave", []specs.Mount{bind("rshared"), bind("rslave")}, "shared"},
	}
	for _, tt := range tests {
		if got := rootfsPropagation(tt.ms); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestGenerateRootfsPropagation(t *testing.T) {
	in := baseInput(t, fakeRootfs(t))
	in.ExtraMounts = []specs.Mount{{Destination: "/p", Type: "bind", Source: "/h", Options: []string{"rbind", "rshared"}}}
	s, err := Generate(in)
	if err != nil {
		t.Fatal(err)
	}
	if s.Linux.RootfsPropagation != "shared" {
		t.Errorf("rootfsPropagation %q", s.Linux.RootfsPropagation)
	}
}
