package lifecycle

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-project/berth/container"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/mount"
)

func TestParseBind(t *testing.T) {
	tests := []struct {
		raw     string
		want    container.MountPoint // Spec not compared
		wantErr string
	}{
		{raw: "/data", want: container.MountPoint{Type: mount.TypeVolume, Destination: "/data", RW: true, CopyData: true}},
		{raw: "vol:/data", want: container.MountPoint{Type: mount.TypeVolume, Name: "vol", Destination: "/data", RW: true, CopyData: true}},
		{raw: "vol:/data:ro,nocopy", want: container.MountPoint{Type: mount.TypeVolume, Name: "vol", Destination: "/data", Mode: "ro,nocopy"}},
		{raw: "/host:/data", want: container.MountPoint{Type: mount.TypeBind, Source: "/host", Destination: "/data", RW: true, Propagation: "rprivate"}},
		{raw: "/host/:/data/:rw,rshared,Z", want: container.MountPoint{Type: mount.TypeBind, Source: "/host", Destination: "/data", RW: true, Mode: "rw,rshared,Z", Propagation: "rshared"}},
		{raw: "/host:/data:ro,rslave", want: container.MountPoint{Type: mount.TypeBind, Source: "/host", Destination: "/data", Mode: "ro,rslave", Propagation: "rslave"}},
		{raw: "/data:rw", wantErr: "invalid volume specification: '/data:rw'"},
		{raw: ":/data", wantErr: "invalid volume specification: ':/data'"},
		{raw: "a:b:c:d", wantErr: "invalid volume specification: 'a:b:c:d'"},
		{raw: "/h:/data:bogus", wantErr: "invalid mode: bogus"},
		{raw: "/h:/data:ro,rw", wantErr: "invalid mode: ro,rw"},
		{raw: "vol:data", wantErr: `invalid volume specification: 'vol:data': invalid mount config for type "volume": invalid mount path: 'data' mount path must be absolute`},
		{raw: "vol:/", wantErr: "destination can't be '/'"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			mp, err := parseBind(tt.raw, "")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errdefs.IsInvalidParameter(err) {
					t.Fatalf("err %v, want InvalidParameter %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := *mp
			got.Spec = mount.Mount{}
			if got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
			// Spec.Source empty marks anonymous volumes.
			if (mp.Spec.Source == "") != (tt.raw == "/data") {
				t.Errorf("Spec.Source %q", mp.Spec.Source)
			}
		})
	}
}

func TestParseMountSpec(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	tests := []struct {
		name    string
		m       mount.Mount
		want    container.MountPoint
		wantErr string
	}{
		{name: "volume", m: mount.Mount{Type: mount.TypeVolume, Source: "v1", Target: "/d", VolumeOptions: &mount.VolumeOptions{NoCopy: true}},
			want: container.MountPoint{Type: mount.TypeVolume, Name: "v1", Destination: "/d", RW: true}},
		{name: "anonymous", m: mount.Mount{Type: mount.TypeVolume, Target: "/d/"},
			want: container.MountPoint{Type: mount.TypeVolume, Destination: "/d", RW: true, CopyData: true}},
		{name: "bind", m: mount.Mount{Type: mount.TypeBind, Source: dir, Target: "/d", ReadOnly: true, BindOptions: &mount.BindOptions{Propagation: "shared"}},
			want: container.MountPoint{Type: mount.TypeBind, Source: dir, Destination: "/d", Propagation: "shared"}},
		{name: "tmpfs", m: mount.Mount{Type: mount.TypeTmpfs, Target: "/t"},
			want: container.MountPoint{Type: mount.TypeTmpfs, Destination: "/t", RW: true}},
		{name: "missing bind source", m: mount.Mount{Type: mount.TypeBind, Source: missing, Target: "/d"},
			wantErr: `invalid mount config for type "bind": bind source path does not exist: ` + missing},
		{name: "bind without source", m: mount.Mount{Type: mount.TypeBind, Target: "/d"},
			wantErr: `invalid mount config for type "bind": field Source must not be empty`},
		{name: "relative bind source", m: mount.Mount{Type: mount.TypeBind, Source: "rel", Target: "/d"},
			wantErr: `invalid mount path: 'rel' mount path must be absolute`},
		{name: "bad propagation", m: mount.Mount{Type: mount.TypeBind, Source: dir, Target: "/d", BindOptions: &mount.BindOptions{Propagation: "sideways"}},
			wantErr: "invalid propagation mode: sideways"},
		{name: "relative target", m: mount.Mount{Type: mount.TypeVolume, Source: "v", Target: "d"},
			wantErr: `invalid mount config for type "volume": invalid mount path: 'd' mount path must be absolute`},
		{name: "no target", m: mount.Mount{Type: mount.TypeVolume, Source: "v"},
			wantErr: "field Target must not be empty"},
		{name: "tmpfs with source", m: mount.Mount{Type: mount.TypeTmpfs, Source: "x", Target: "/t"},
			wantErr: "field Source must not be specified"},
		{name: "tmpfs bad option", m: mount.Mount{Type: mount.TypeTmpfs, Target: "/t", TmpfsOptions: &mount.TmpfsOptions{Options: [][]string{{"suid"}}}},
			wantErr: "invalid option: suid"},
		{name: "bind options on a volume", m: mount.Mount{Type: mount.TypeVolume, Target: "/t", BindOptions: &mount.BindOptions{}},
			wantErr: "field BindOptions must not be specified"},
		{name: "subpath", m: mount.Mount{Type: mount.TypeVolume, Source: "v1", Target: "/t", VolumeOptions: &mount.VolumeOptions{Subpath: "x"}},
			wantErr: "volume-subpath: not implemented"},
		{name: "image mount", m: mount.Mount{Type: mount.TypeImage, Source: "busybox", Target: "/t"},
			wantErr: `mount type "image": not implemented`},
		{name: "unknown type", m: mount.Mount{Type: "weird", Target: "/t"},
			wantErr: `invalid mount config for type "weird": mount type unknown`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mp, err := parseMountSpec(tt.m, true)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := *mp
			got.Spec = mount.Mount{}
			if got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseVolumesFrom(t *testing.T) {
	tests := []struct{ spec, id, mode, err string }{
		{spec: "c1", id: "c1", mode: "rw"},
		{spec: "c1:ro", id: "c1", mode: "ro"},
		{spec: "c1:rw,z", id: "c1", mode: "rw,z"},
		{spec: "c1:rshared", err: "invalid mode: rshared"},
		{spec: "c1:nocopy", err: "invalid mode: nocopy"},
		{spec: "c1:bogus", err: "invalid mode: bogus"},
		{spec: "", err: "cannot be an empty string"},
	}
	for _, tt := range tests {
		id, mode, err := parseVolumesFrom(tt.spec)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err %v, want %q", tt.spec, err, tt.err)
			}
			continue
		}
		if err != nil || id != tt.id || mode != tt.mode {
			t.Errorf("%q: %q %q %v", tt.spec, id, mode, err)
		}
	}
}

func TestTmpfsData(t *testing.T) {
	tests := []struct {
		o    *mount.TmpfsOptions
		ro   bool
		want string
	}{
		{nil, false, ""},
		{nil, true, "ro"},
		{&mount.TmpfsOptions{SizeBytes: 64 << 20, Mode: 0o1770}, false, "mode=1770,size=64m"},
		{&mount.TmpfsOptions{SizeBytes: 3 << 30}, false, "size=3g"},
		{&mount.TmpfsOptions{SizeBytes: 1000}, false, "size=1000"},
		{&mount.TmpfsOptions{SizeBytes: 4096, Options: [][]string{{"exec"}}}, true, "ro,size=4k,exec"},
	}
	for _, tt := range tests {
		if got := tmpfsData(tt.o, tt.ro); got != tt.want {
			t.Errorf("%+v ro=%v: %q, want %q", tt.o, tt.ro, got, tt.want)
		}
	}
}

func TestValidateVolumeName(t *testing.T) {
	for _, ok := range []string{"ab", "my_vol.1", "A-b"} {
		if err := validateVolumeName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"a", "..", "a/b", "../x", ".hidden", "-x", "a b"} {
		if err := validateVolumeName(bad); err == nil || !errdefs.IsInvalidParameter(err) {
			t.Errorf("%q accepted (%v)", bad, err)
		}
	}
}

func TestPrepareBindSource(t *testing.T) {
	dir := t.TempDir()
	mk := filepath.Join(dir, "a", "b")
	if err := prepareBindSource(&container.MountPoint{Source: mk}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(mk); err != nil || !fi.IsDir() {
		t.Fatalf("-v source not created: %v", err)
	}
	err := prepareBindSource(&container.MountPoint{Source: filepath.Join(dir, "no"), SkipMountpointCreation: true})
	if err == nil || !strings.Contains(err.Error(), "bind source path does not exist") {
		t.Errorf("--mount missing source: %v", err)
	}
}
