package archive

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/berth-project/berth/internal/errdefs"
	"golang.org/x/sys/unix"
)

func TestApplyHostile(t *testing.T) {
	cases := []struct {
		name    string
		ents    []ent
		opts    ApplyOptions
		wantErr string   // substring; "" means success
		want    []string // expected tree of dst (nil: don't care)
	}{
		{name: "dotdot", ents: []ent{file("../x", "evil")}, wantErr: "escapes"},
		{name: "dotdot nested", ents: []ent{file("a/../../sentinel/file", "evil")}, wantErr: "escapes"},
		{name: "absolute", ents: []ent{file("/etc/x", "ok")},
			want: []string{"etc d", "etc/x f"}},
		{name: "symlink to root then write through", ents: []ent{symlink("a", "/"), file("a/etc/passwd", "x")},
			want: []string{"a l", "etc d", "etc/passwd f"}},
		{name: "symlink to parent then write through", ents: []ent{symlink("a", "../sentinel"), file("a/file", "x")},
			wantErr: "parent"},
		{name: "symlink chain", ents: []ent{symlink("a", "b"), symlink("b", "../../.."), file("a/x", "x")},
			want: []string{"a l", "b l", "x f"}},
		{name: "dir replaced by symlink", ents: []ent{dir("d/"), symlink("d", "/"), file("d/y", "y")},
			want: []string{"d l", "y f"}},
		{name: "hardlink to host file", ents: []ent{hardlink("pw", "/etc/passwd")}, wantErr: "hard link"},
		{name: "hardlink dotdot", ents: []ent{hardlink("pw", "../sentinel/file")}, wantErr: "escapes"},
		{name: "hardlink through symlink", ents: []ent{symlink("s", "../sentinel"), hardlink("h", "s/file")}, wantErr: "hard link"},
		{name: "hardlink through abs symlink", ents: []ent{symlink("s", "/"), file("f", "x"), hardlink("h", "s/f")},
			want: []string{"f f", "h f", "s l"}},
		{name: "device refused", ents: []ent{{name: "null", typ: tar.TypeChar, mode: 0o666, major: 1, minor: 3}}, wantErr: "device"},
		{name: "device allowed", ents: []ent{{name: "null", typ: tar.TypeChar, mode: 0o666, major: 1, minor: 3}},
			opts: ApplyOptions{AllowDevices: true}, want: []string{"null c"}},
		{name: "fifo", ents: []ent{{name: "p", typ: tar.TypeFifo, mode: 0o600}}, want: []string{"p p"}},
		{name: "unsupported type", ents: []ent{{name: "v", typ: 'V'}}, wantErr: "unsupported"},
		{name: "root replaced by file", ents: []ent{file(".", "")}, wantErr: "only a directory"},
		{name: "huge xattr", ents: []ent{{name: "f", typ: tar.TypeReg, mode: 0o644,
			xattrs: map[string]string{"user.big": strings.Repeat("x", MaxXattrValueLen+1)}}}, wantErr: "size limit"},
		{name: "whiteout name escape", ents: []ent{file(".wh...", "")}, opts: ApplyOptions{Whiteouts: WhiteoutApply}, wantErr: "invalid whiteout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newBox(t)
			_, err := Apply(b.dst, bytes.NewReader(mkTar(t, tc.ents...)), tc.opts)
			b.check(t)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := listTree(t, b.dst); tc.want != nil && !slices.Equal(got, tc.want) {
				t.Fatalf("tree = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestBreakoutIsInvalidParameter(t *testing.T) {
	b := newBox(t)
	_, err := Apply(b.dst, bytes.NewReader(mkTar(t, file("../x", ""))), ApplyOptions{})
	var be *BreakoutError
	if !errors.As(err, &be) || !errdefs.IsInvalidParameter(err) {
		t.Fatalf("err = %v, want BreakoutError/InvalidParameter", err)
	}
}

func TestApplyMetadata(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root: lchown and security xattrs")
	}
	b := newBox(t)
	caps := "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	ents := []ent{
		{name: "d/", typ: tar.TypeDir, mode: 0o750, uid: 7, gid: 8},
		{name: "d/suid", typ: tar.TypeReg, mode: 0o4755, uid: 1, gid: 2, body: "hello",
			xattrs: map[string]string{"security.capability": caps, "trusted.overlay.opaque": "y"}},
		{name: "d/l", typ: tar.TypeSymlink, link: "suid", uid: 3, gid: 4},
		hardlink("d/h", "d/suid"),
	}
	n, err := Apply(b.dst, bytes.NewReader(mkTar(t, ents...)), ApplyOptions{AllowDevices: true, Whiteouts: WhiteoutOverlay})
	if err != nil {
		t.Fatal(err)
	}
	if n != 5 {
		t.Errorf("size = %d, want 5", n)
	}
	check := func(p string, mode uint32, uid, gid uint32) {
		var st unix.Stat_t
		if err := unix.Lstat(filepath.Join(b.dst, p), &st); err != nil {
			t.Fatal(err)
		}
		if st.Mode&0o7777 != mode && st.Mode&unix.S_IFMT != unix.S_IFLNK || st.Uid != uid || st.Gid != gid {
			t.Errorf("%s: mode %o uid %d gid %d, want %o %d %d", p, st.Mode&0o7777, st.Uid, st.Gid, mode, uid, gid)
		}
		if st.Mtim.Sec != testTime.Unix() {
			t.Errorf("%s: mtime %d, want %d", p, st.Mtim.Sec, testTime.Unix())
		}
	}
	check("d", 0o750, 7, 8)
	check("d/suid", 0o4755, 1, 2)
	check("d/l", 0, 3, 4)
	var st1, st2 unix.Stat_t
	unix.Stat(filepath.Join(b.dst, "d/suid"), &st1)
	unix.Stat(filepath.Join(b.dst, "d/h"), &st2)
	if st1.Ino != st2.Ino {
		t.Error("hardlink is not the same inode")
	}
	v := make([]byte, 64)
	if n, err := unix.Lgetxattr(filepath.Join(b.dst, "d/suid"), "security.capability", v); err != nil || string(v[:n]) != caps {
		t.Errorf("capability xattr = %q, %v", v[:n], err)
	}
	if _, err := unix.Lgetxattr(filepath.Join(b.dst, "d/suid"), OverlayOpaqueXattr, v); err == nil {
		t.Error("tar forged a trusted.overlay xattr")
	}
}

func TestApplyWhiteouts(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root: mknod and trusted xattrs")
	}
	layer := []ent{file(".wh.gone", ""), dir("d/"), file("d/new", "n"), file("d/.wh..wh..opq", ""), file(".wh..wh.aufs", "")}
	setup := func(t *testing.T, dst string) {
		os.WriteFile(filepath.Join(dst, "gone"), nil, 0o644)
		os.Mkdir(filepath.Join(dst, "d"), 0o755)
		os.WriteFile(filepath.Join(dst, "d", "old"), nil, 0o644)
		os.WriteFile(filepath.Join(dst, "keep"), nil, 0o644)
	}
	t.Run("overlay", func(t *testing.T) {
		b := newBox(t)
		if _, err := Apply(b.dst, bytes.NewReader(mkTar(t, layer...)), ApplyOptions{Whiteouts: WhiteoutOverlay}); err != nil {
			t.Fatal(err)
		}
		var st unix.Stat_t
		if err := unix.Lstat(filepath.Join(b.dst, "gone"), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
			t.Fatalf("whiteout is not a 0:0 char device: %+v %v", st, err)
		}
		v := make([]byte, 4)
		if n, err := unix.Lgetxattr(filepath.Join(b.dst, "d"), OverlayOpaqueXattr, v); err != nil || string(v[:n]) != "y" {
			t.Fatalf("opaque xattr = %q %v", v[:n], err)
		}
		if got, want := listTree(t, b.dst), []string{"d d", "d/new f", "gone c"}; !slices.Equal(got, want) {
			t.Fatalf("tree = %q, want %q", got, want)
		}
	})
	t.Run("apply", func(t *testing.T) {
		b := newBox(t)
		setup(t, b.dst)
		if _, err := Apply(b.dst, bytes.NewReader(mkTar(t, layer...)), ApplyOptions{Whiteouts: WhiteoutApply}); err != nil {
			t.Fatal(err)
		}
		if got, want := listTree(t, b.dst), []string{"d d", "d/new f", "keep f"}; !slices.Equal(got, want) {
			t.Fatalf("tree = %q, want %q", got, want)
		}
	})
	t.Run("none", func(t *testing.T) {
		b := newBox(t)
		if _, err := Apply(b.dst, bytes.NewReader(mkTar(t, layer...)), ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
		want := []string{".wh..wh.aufs f", ".wh.gone f", "d d", "d/.wh..wh..opq f", "d/new f"}
		if got := listTree(t, b.dst); !slices.Equal(got, want) {
			t.Fatalf("tree = %q, want %q", got, want)
		}
	})
}

func TestApplyNoOverwriteDirNonDir(t *testing.T) {
	for _, tc := range []struct {
		name string
		ents []ent
		want string
	}{
		{"file over dir", []ent{dir("x/"), file("x", "")}, "cannot overwrite directory"},
		{"dir over file", []ent{file("x", ""), dir("x/")}, "cannot overwrite non-directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBox(t)
			_, err := Apply(b.dst, bytes.NewReader(mkTar(t, tc.ents...)), ApplyOptions{NoOverwriteDirNonDir: true})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			// Without the option the later entry wins.
			b2 := newBox(t)
			if _, err := Apply(b2.dst, bytes.NewReader(mkTar(t, tc.ents...)), ApplyOptions{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestApplyAtResolvesInContainerRoot(t *testing.T) {
	b := newBox(t)
	os.MkdirAll(filepath.Join(b.dst, "real/dir"), 0o755)
	os.Symlink("/real/dir", filepath.Join(b.dst, "link"))
	_, err := ApplyAt(b.dst, "/link", bytes.NewReader(mkTar(t, file("f", "x"), symlink("up", "/"), file("up/g", "y"))), ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b.check(t)
	for _, p := range []string{"real/dir/f", "g"} {
		if _, err := os.Stat(filepath.Join(b.dst, p)); err != nil {
			t.Errorf("%s missing: %v", p, err)
		}
	}
	_, err = ApplyAt(b.dst, "/nope", bytes.NewReader(mkTar(t, file("f", "x"))), ApplyOptions{})
	if !errdefs.IsNotFound(err) {
		t.Fatalf("err = %v, want not found", err)
	}
}

func TestApplySparse(t *testing.T) {
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("GNU tar not installed")
	}
	for _, tc := range []struct {
		size    int64
		wantErr bool
	}{{256 << 20, false}, {MaxSparseSize + 1<<20, true}} {
		src := t.TempDir()
		f, _ := os.Create(filepath.Join(src, "sparse"))
		f.WriteAt([]byte("end"), tc.size-3)
		f.Close()
		out, err := exec.Command("tar", "-C", src, "--sparse", "--format=gnu", "-cf", "-", "sparse").Output()
		if err != nil {
			t.Fatal(err)
		}
		b := newBox(t)
		n, err := Apply(b.dst, bytes.NewReader(out), ApplyOptions{})
		if tc.wantErr {
			if err == nil || !strings.Contains(err.Error(), "sparse") {
				t.Fatalf("size %d: err = %v, want sparse limit", tc.size, err)
			}
			continue
		}
		if err != nil || n != tc.size {
			t.Fatalf("size %d: n=%d err=%v", tc.size, n, err)
		}
		var st unix.Stat_t
		unix.Stat(filepath.Join(b.dst, "sparse"), &st)
		if st.Size != tc.size || st.Blocks*512 > 1<<20 {
			t.Fatalf("size %d blocks %d: not sparse", st.Size, st.Blocks)
		}
	}
}
