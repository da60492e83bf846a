package archive

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/berth-project/berth/internal/errdefs"
	"golang.org/x/sys/unix"
)

// readTar returns "name type [link|body]" lines of a tar stream.
func readTar(t *testing.T, rc io.ReadCloser) []string {
	t.Helper()
	defer rc.Close()
	var out []string
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		s := h.Name + " " + string(h.Typeflag)
		if h.Linkname != "" {
			s += " " + h.Linkname
		}
		if h.Typeflag == tar.TypeReg {
			b, _ := io.ReadAll(tr)
			s += " " + string(b)
		}
		out = append(out, s)
	}
}

func mkTree(t *testing.T) string {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc/sub"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/hosts"), []byte("127.0.0.1"), 0o644)
	os.WriteFile(filepath.Join(root, "etc/sub/a"), []byte("a"), 0o644)
	os.Link(filepath.Join(root, "etc/sub/a"), filepath.Join(root, "etc/sub/b"))
	os.Symlink("/etc", filepath.Join(root, "link"))
	os.Symlink("/", filepath.Join(root, "escape"))
	return root
}

func TestTarPath(t *testing.T) {
	root := mkTree(t)
	cases := []struct {
		path string
		opts TarOptions
		want []string
	}{
		{"/etc/hosts", TarOptions{}, []string{"hosts 0 127.0.0.1"}},
		{"/link/hosts", TarOptions{}, []string{"hosts 0 127.0.0.1"}},
		{"/escape/escape/../etc/hosts", TarOptions{}, []string{"hosts 0 127.0.0.1"}},
		{"/etc/hosts", TarOptions{RebaseName: "renamed"}, []string{"renamed 0 127.0.0.1"}},
		{"/link", TarOptions{}, []string{"link 2 /etc"}},
		{"/link", TarOptions{FollowLink: true}, []string{"link/ 5", "link/hosts 0 127.0.0.1", "link/sub/ 5", "link/sub/a 0 a", "link/sub/b 1 link/sub/a"}},
		{"/etc/sub", TarOptions{}, []string{"sub/ 5", "sub/a 0 a", "sub/b 1 sub/a"}},
		{"/", TarOptions{}, []string{"escape 2 /", "etc/ 5", "etc/hosts 0 127.0.0.1", "etc/sub/ 5", "etc/sub/a 0 a", "etc/sub/b 1 etc/sub/a", "link 2 /etc"}},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			rc, err := TarPath(root, tc.path, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := readTar(t, rc); !slices.Equal(got, tc.want) {
				t.Fatalf("got %q\nwant %q", got, tc.want)
			}
		})
	}
	for _, p := range []string{"/nope", "/etc/hosts/x", "/link/nope"} {
		if _, err := TarPath(root, p, TarOptions{}); !errdefs.IsNotFound(err) || !IsNotExist(err) {
			t.Errorf("TarPath(%s) err = %v, want not found", p, err)
		}
	}
	if p, err := ResolvePath(root, "/link/hosts", false); err != nil || p != filepath.Join(root, "etc/hosts") {
		t.Errorf("ResolvePath = %q, %v", p, err)
	}
	if p, err := ResolvePath(root, "/escape", true); err != nil || p != root {
		t.Errorf("ResolvePath(/escape, follow) = %q, %v", p, err)
	}
}

func TestTarDirRoundTrip(t *testing.T) {
	root := mkTree(t)
	rc, err := TarDir(root, TarOptions{})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(rc)
	b := newBox(t)
	if _, err := Apply(b.dst, bytes.NewReader(data), ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, want := listTree(t, b.dst), listTree(t, root); !slices.Equal(got, want) {
		t.Fatalf("round trip tree %q, want %q", got, want)
	}
	// Re-tarring the copy gives the same bytes (reproducible headers).
	rc2, _ := TarDir(b.dst, TarOptions{})
	data2, _ := io.ReadAll(rc2)
	if !bytes.Equal(data, data2) {
		t.Fatal("tar of extracted copy differs")
	}
}

func TestTarDirConvertWhiteouts(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root: mknod and trusted xattrs")
	}
	root := t.TempDir()
	os.Mkdir(filepath.Join(root, "opq"), 0o755)
	os.WriteFile(filepath.Join(root, "opq/new"), []byte("n"), 0o644)
	if err := unix.Setxattr(filepath.Join(root, "opq"), OverlayOpaqueXattr, []byte("y"), 0); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mknod(filepath.Join(root, "gone"), unix.S_IFCHR, 0); err != nil {
		t.Fatal(err)
	}
	rc, _ := TarDir(root, TarOptions{ConvertWhiteouts: true})
	want := []string{".wh.gone 0 ", "opq/ 5", "opq/.wh..wh..opq 0 ", "opq/new 0 n"}
	if got := readTar(t, rc); !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	rc, _ = TarDir(root, TarOptions{})
	want = []string{"gone 3", "opq/ 5", "opq/new 0 n"}
	if got := readTar(t, rc); !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}
