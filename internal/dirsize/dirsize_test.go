package dirsize

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func write(t *testing.T, p string, n int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(strings.Repeat("x", n)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSize(t *testing.T) {
	tests := []struct {
		name  string
		build func(t *testing.T, dir string)
		want  int64
	}{
		{"empty", func(*testing.T, string) {}, 0},
		{"files and nested dirs", func(t *testing.T, dir string) {
			write(t, dir+"/a", 10)
			write(t, dir+"/d/b", 200)
			write(t, dir+"/d/e/f/c", 3000)
			write(t, dir+"/zero", 0)
		}, 3210},
		{"hard links counted once", func(t *testing.T, dir string) {
			write(t, dir+"/f", 1000)
			write(t, dir+"/g", 7)
			for _, l := range []string{"l1", "sub/l2"} {
				os.MkdirAll(filepath.Dir(dir+"/"+l), 0o755)
				if err := os.Link(dir+"/f", dir+"/"+l); err != nil {
					t.Fatal(err)
				}
			}
		}, 1007},
		{"symlinks not followed, counted by their own size", func(t *testing.T, dir string) {
			outside := t.TempDir()
			write(t, outside+"/big", 100000)
			if err := os.Symlink(outside+"/big", dir+"/tofile"); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(outside, dir+"/todir"); err != nil {
				t.Fatal(err)
			}
		}, 0}, // filled in below: the two link lengths
		{"sparse file: apparent size", func(t *testing.T, dir string) {
			f, err := os.Create(dir + "/sparse")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := f.Truncate(64 << 20); err != nil {
				t.Fatal(err)
			}
		}, 64 << 20},
		{"fifo and directories count nothing", func(t *testing.T, dir string) {
			os.MkdirAll(dir+"/a/b/c", 0o755)
			if err := unix.Mkfifo(dir+"/a/fifo", 0o644); err != nil {
				t.Fatal(err)
			}
		}, 0},
		{"more entries than one getdents buffer", func(t *testing.T, dir string) {
			for i := range 1500 {
				write(t, fmt.Sprintf("%s/d/file-with-a-longish-name-%04d", dir, i), 3)
			}
		}, 4500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.build(t, dir)
			want := tt.want
			if strings.HasPrefix(tt.name, "symlinks") {
				a, _ := os.Readlink(dir + "/tofile")
				b, _ := os.Readlink(dir + "/todir")
				want = int64(len(a) + len(b))
			}
			got, err := Size(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("Size = %d, want %d", got, want)
			}
			if ref := walkSize(t, dir); got != ref {
				t.Errorf("Size = %d, reference walk %d", got, ref)
			}
		})
	}
}

// walkSize is the straightforward path-based walk the package replaces.
func walkSize(t testing.TB, dir string) int64 {
	var size int64
	seen := map[uint64]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if ino := fi.Sys().(*syscall.Stat_t).Ino; fi.Size() > 0 && !seen[ino] {
			seen[ino] = true
			size += fi.Size()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return size
}

func TestSizeMissingRoot(t *testing.T) {
	_, err := Size(context.Background(), filepath.Join(t.TempDir(), "nope"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want not exist", err)
	}
}

func TestSizeRootIsFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	write(t, p, 5)
	if _, err := Size(context.Background(), p); err == nil {
		t.Fatal("no error for a file root")
	}
}

func TestSizeCanceled(t *testing.T) {
	dir := t.TempDir()
	for i := range 600 {
		write(t, fmt.Sprintf("%s/%d", dir, i), 1)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Size(ctx, dir); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// A mount below the root is crossed, as Docker's walk does.
func TestSizeCrossesMounts(t *testing.T) {
	// internal/testutil imports this package (through the daemon), so
	// the root check is spelled out here.
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	dir := t.TempDir()
	write(t, dir+"/a", 100)
	mnt := dir + "/m"
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=1m"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(mnt, unix.MNT_DETACH) })
	write(t, mnt+"/b", 2000)
	got, err := Size(context.Background(), dir)
	if err != nil || got != 2100 {
		t.Fatalf("Size = %d, %v; want 2100", got, err)
	}
}
