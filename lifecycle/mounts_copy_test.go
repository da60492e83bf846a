package lifecycle

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestCopyImageContent(t *testing.T) {
	requireRoot(t)
	rootfs := t.TempDir()
	data := filepath.Join(rootfs, "data")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(data, "sub"), 0o755))
	must(os.WriteFile(filepath.Join(data, "f"), []byte("hello"), 0o600))
	must(os.Link(filepath.Join(data, "f"), filepath.Join(data, "sub", "hard")))
	must(os.Symlink("../f", filepath.Join(data, "sub", "link")))
	must(unix.Mkfifo(filepath.Join(data, "fifo"), 0o644))
	must(os.Chown(filepath.Join(data, "f"), 33, 44))
	must(os.Chown(data, 7, 8))
	must(unix.Chmod(data, 0o1751))
	// Extended attributes: a user attribute on a file and a directory,
	// and a file capability (CAP_NET_BIND_SERVICE, permitted+effective,
	// vfs_cap_data revision 2), which the kernel drops on chown.
	must(unix.Lsetxattr(filepath.Join(data, "f"), "user.note", []byte("kept"), 0))
	must(unix.Lsetxattr(filepath.Join(data, "sub"), "user.dir", []byte("d"), 0))
	capv2 := []byte{1, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	must(unix.Lsetxattr(filepath.Join(data, "f"), "security.capability", capv2, 0))
	// An image symlink pointing out of the root resolves inside it.
	must(os.Symlink("/../../data", filepath.Join(rootfs, "escape")))

	for _, dest := range []string{"/data", "/escape"} {
		vol := t.TempDir()
		must(copyImageContent(rootfs, dest, vol))
		var st unix.Stat_t
		must(unix.Stat(vol, &st))
		if st.Uid != 7 || st.Gid != 8 || st.Mode&0o7777 != 0o1751 {
			t.Errorf("%s: volume root %d:%d %o", dest, st.Uid, st.Gid, st.Mode&0o7777)
		}
		must(unix.Stat(filepath.Join(vol, "f"), &st))
		if st.Uid != 33 || st.Gid != 44 || st.Mode&0o777 != 0o600 || st.Nlink != 2 {
			t.Errorf("%s: f %d:%d %o links %d", dest, st.Uid, st.Gid, st.Mode&0o777, st.Nlink)
		}
		for _, x := range []struct{ path, name, want string }{
			{"f", "user.note", "kept"},
			{"sub", "user.dir", "d"},
			{"f", "security.capability", string(capv2)},
			{"sub/hard", "security.capability", string(capv2)},
		} {
			buf := make([]byte, 64)
			n, err := unix.Lgetxattr(filepath.Join(vol, x.path), x.name, buf)
			if err != nil || string(buf[:n]) != x.want {
				t.Errorf("%s: %s xattr %s = %q, %v; want %q", dest, x.path, x.name, buf[:max(n, 0)], err, x.want)
			}
		}
		if l, err := os.Readlink(filepath.Join(vol, "sub", "link")); err != nil || l != "../f" {
			t.Errorf("%s: symlink %q %v", dest, l, err)
		}
		if fi, err := os.Lstat(filepath.Join(vol, "fifo")); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
			t.Errorf("%s: fifo %v %v", dest, fi, err)
		}
		srcFi, _ := os.Stat(filepath.Join(data, "sub"))
		dstFi, _ := os.Stat(filepath.Join(vol, "sub"))
		if !srcFi.ModTime().Equal(dstFi.ModTime()) {
			t.Errorf("%s: dir mtime %v, want %v", dest, dstFi.ModTime(), srcFi.ModTime())
		}
	}

	// a non-empty volume is left alone; a missing path copies nothing
	vol := t.TempDir()
	must(os.WriteFile(filepath.Join(vol, "mine"), nil, 0o644))
	must(copyImageContent(rootfs, "/data", vol))
	if e, _ := os.ReadDir(vol); len(e) != 1 {
		t.Errorf("non-empty volume got %d entries", len(e))
	}
	empty := t.TempDir()
	must(copyImageContent(rootfs, "/nothing/here", empty))
	if e, _ := os.ReadDir(empty); len(e) != 0 {
		t.Errorf("missing path copied %v", e)
	}
	if err := copyImageContent(rootfs, "/data/f", t.TempDir()); err == nil {
		t.Errorf("a volume over a file was accepted")
	}
}
