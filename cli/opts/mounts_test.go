package opts

import (
	"path"
	"testing"

	"github.com/moby/moby/api/types/mount"
)

func TestParseVolume(t *testing.T) {
	tests := []struct {
		spec, src, dst, mode string
		wantErr              bool
	}{
		{spec: "/data", dst: "/data"},
		{spec: "/host:/ctr", src: "/host", dst: "/ctr"},
		{spec: "/host:/ctr:ro", src: "/host", dst: "/ctr", mode: "ro"},
		{spec: "named:/ctr:rw,z", src: "named", dst: "/ctr", mode: "rw,z"},
		{spec: "/data:ro", dst: "/data", mode: "ro"},
		{spec: "/host:/ctr:bogus", wantErr: true},
		{spec: "relative", wantErr: true},
		{spec: "/a:/b:ro:x", wantErr: true},
		{spec: ":/ctr", wantErr: true},
		{spec: "", wantErr: true},
	}
	for _, tc := range tests {
		v, err := ParseVolume(tc.spec)
		if tc.wantErr {
			if err == nil {
				t.Errorf("%q: expected error, got %+v", tc.spec, v)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.spec, err)
			continue
		}
		if v.Source != tc.src || v.Target != tc.dst || v.Mode != tc.mode {
			t.Errorf("%q: got %+v", tc.spec, v)
		}
	}
}

func TestParseMount(t *testing.T) {
	m, err := ParseMount("type=bind,source=/a,target=/b,readonly,bind-propagation=rshared")
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != mount.TypeBind || m.Source != "/a" || m.Target != "/b" || !m.ReadOnly || m.BindOptions.Propagation != mount.PropagationRShared {
		t.Fatalf("got %+v", m)
	}
	m, err = ParseMount("type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1770")
	if err != nil {
		t.Fatal(err)
	}
	if m.TmpfsOptions.SizeBytes != 64<<20 || m.TmpfsOptions.Mode != 0o1770 {
		t.Fatalf("got %+v", m.TmpfsOptions)
	}
	m, err = ParseMount("src=vol,dst=/v,volume-nocopy")
	if err != nil || m.Type != mount.TypeVolume || !m.VolumeOptions.NoCopy {
		t.Fatalf("got %+v, %v", m, err)
	}
	for _, bad := range []string{"type=bind,source=/a", "type=bind,target=/b,volume-nocopy", "target=/b,bogus=1", "target=/b,nokey", `"unterminated`} {
		if _, err := ParseMount(bad); err == nil {
			t.Errorf("%q: expected error", bad)
		}
	}
}

func FuzzParseMountSpecs(f *testing.F) {
	for _, s := range []string{"/a:/b:ro", "type=bind,src=/a,dst=/b", "v:/x", "type=tmpfs,dst=/t,tmpfs-size=1k", ":::", "\"a,b\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := ParseVolume(s); err == nil && !path.IsAbs(v.Target) {
			t.Fatalf("%q: accepted relative target %q", s, v.Target)
		}
		if m, err := ParseMount(s); err == nil && m.Target == "" {
			t.Fatalf("%q: accepted mount without target", s)
		}
	})
}
