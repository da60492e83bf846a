package tarwrite

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestEntry(t *testing.T) {
	dir := t.TempDir()
	file, link, sub := filepath.Join(dir, "f"), filepath.Join(dir, "l"), filepath.Join(dir, "d")
	if err := os.WriteFile(file, []byte("data"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("f", link); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, name string
		o          Options
		wantName   string
		wantType   byte
		wantLink   string
		wantBody   string
	}{
		{file, "a/f", Options{}, "a/f", tar.TypeReg, "", "data"},
		{file, "f", Options{RootOwned: true}, "f", tar.TypeReg, "", "data"},
		{link, "l", Options{}, "l", tar.TypeSymlink, "f", ""},
		{sub, "d", Options{}, "d/", tar.TypeDir, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.wantName, func(t *testing.T) {
			fi, err := os.Lstat(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			tw := tar.NewWriter(&buf)
			if err := Entry(tw, tt.path, tt.name, fi, tt.o); err != nil {
				t.Fatal(err)
			}
			tw.Close()
			tr := tar.NewReader(&buf)
			hdr, err := tr.Next()
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(tr)
			if hdr.Name != tt.wantName || hdr.Typeflag != tt.wantType || hdr.Linkname != tt.wantLink || string(body) != tt.wantBody || hdr.Uname != "" {
				t.Fatalf("got %+v body %q", hdr, body)
			}
			if tt.o.RootOwned && (hdr.Uid != 0 || hdr.Gid != 0) {
				t.Fatalf("not root owned: %d:%d", hdr.Uid, hdr.Gid)
			}
		})
	}
}
