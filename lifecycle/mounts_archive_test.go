package lifecycle

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestMountInViewStaysInRoot: a mount target that is a symlink out of the
// root (absolute or through ..) lands inside the root.
func TestMountInViewStaysInRoot(t *testing.T) {
	requireRoot(t)
	root := t.TempDir()
	outside := t.TempDir()
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "payload"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Inside the root the symlinks' target exists (as after a first start,
	// when the runtime created the mountpoints).
	if err := os.MkdirAll(filepath.Join(root, outside), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "abs")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../../../.."+outside, filepath.Join(root, "rel")); err != nil {
		t.Fatal(err)
	}
	srcFile := filepath.Join(src, "payload")
	for _, c := range []struct {
		dest, src string
		ro        bool
	}{{"/abs", src, false}, {"/rel/deeper", src, true}, {"/new/file", srcFile, false}} {
		if err := mountInView(root, c.dest, c.src, c.ro); err != nil {
			t.Fatalf("%s: %v", c.dest, err)
		}
	}
	defer func() {
		for _, p := range []string{"new/file", "rel/deeper", "abs"} {
			_ = unix.Unmount(filepath.Join(root, p), unix.MNT_DETACH)
		}
		for _, p := range []string{filepath.Join(root, outside, "deeper"), filepath.Join(root, outside)} {
			_ = unix.Unmount(p, unix.MNT_DETACH)
		}
	}()
	if e, _ := os.ReadDir(outside); len(e) != 0 {
		t.Fatalf("a mount or a mountpoint escaped the root: %v", e)
	}
	if _, err := os.Stat(filepath.Join(root, outside, "payload")); err != nil {
		t.Errorf("absolute symlink target not mounted inside the root: %v", err)
	}
	if err := os.WriteFile(filepath.Join(root, outside, "deeper", "w"), nil, 0o644); err == nil {
		t.Errorf("read-only mount is writable")
	}
	if b, err := os.ReadFile(filepath.Join(root, "new", "file")); err != nil || string(b) != "x" {
		t.Errorf("file mount: %q %v", b, err)
	}
}
