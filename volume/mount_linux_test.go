package volume

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/sys/mount"
	"github.com/moby/sys/mountinfo"
)

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("needs root: mounts tmpfs and bind mounts for option volumes")
	}
}

func isMounted(t *testing.T, path string) bool {
	t.Helper()
	ok, err := mountinfo.Mounted(path)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// cleanupMount makes sure a failing test does not leave a mount behind.
func cleanupMount(t *testing.T, path string) {
	t.Cleanup(func() {
		if ok, _ := mountinfo.Mounted(path); ok {
			_ = mount.Unmount(path)
		}
	})
}

func TestMountTmpfsRefCounted(t *testing.T) {
	requireRoot(t)
	s, _ := newTestService(t)
	v := mustCreate(t, s, "scratch", map[string]string{"type": "tmpfs", "device": "tmpfs", "o": "size=1m,mode=0750"}, nil)
	cleanupMount(t, v.Mountpoint)
	if isMounted(t, v.Mountpoint) {
		t.Fatal("create must not mount (Docker mounts lazily)")
	}
	for _, id := range []string{"c1", "c2", "c1"} {
		p, err := s.Mount("scratch", id)
		if err != nil {
			t.Fatal(err)
		}
		if p != v.Mountpoint || !isMounted(t, p) {
			t.Fatalf("mount %s: %q not mounted", id, p)
		}
	}
	var st mountinfo.Info
	infos, err := mountinfo.GetMounts(mountinfo.SingleEntryFilter(v.Mountpoint))
	if err != nil || len(infos) != 1 {
		t.Fatalf("mountinfo %v %v", infos, err)
	}
	st = *infos[0]
	if st.FSType != "tmpfs" || !strings.Contains(st.VFSOptions, "size=1024k") || !strings.Contains(st.VFSOptions, "mode=750") {
		t.Fatalf("mounted %s with %q", st.FSType, st.VFSOptions)
	}
	if err := os.WriteFile(filepath.Join(v.Mountpoint, "f"), []byte("in tmpfs"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Mounted by users: removal is a conflict and must not touch the data.
	if err := s.Remove(context.Background(), "scratch", true); !errdefs.IsConflict(err) || !strings.Contains(err.Error(), "volume is in use - [c1, c2]") {
		t.Fatalf("remove while mounted: %v", err)
	}
	for _, id := range []string{"c1", "c2"} {
		if err := s.Unmount("scratch", id); err != nil {
			t.Fatal(err)
		}
	}
	if !isMounted(t, v.Mountpoint) {
		t.Fatal("unmounted while c1 still holds one mount")
	}
	if err := s.Unmount("scratch", "c1"); err != nil {
		t.Fatal(err)
	}
	if isMounted(t, v.Mountpoint) {
		t.Fatal("still mounted after the last unmount")
	}
	if _, err := os.Stat(filepath.Join(v.Mountpoint, "f")); !os.IsNotExist(err) {
		t.Fatalf("tmpfs content visible after unmount: %v", err)
	}
	// An extra unmount is harmless.
	if err := s.Unmount("scratch", "c1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(context.Background(), "scratch", false); err != nil {
		t.Fatal(err)
	}
}

func TestMountBindKeepsSourceOnRemove(t *testing.T) {
	requireRoot(t)
	s, _ := newTestService(t)
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "precious"), []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	v := mustCreate(t, s, "bound", map[string]string{"type": "none", "device": src, "o": "bind"}, nil)
	cleanupMount(t, v.Mountpoint)
	p, err := s.Mount("bound", "c1")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(p, "precious")); err != nil || string(b) != "keep me" {
		t.Fatalf("bind content %q %v", b, err)
	}
	// Shutdown (daemon stop without live-restore) releases the mount;
	// removing then deletes the volume, not the bound directory.
	if err := s.Shutdown(); err != nil {
		t.Fatal(err)
	}
	if isMounted(t, v.Mountpoint) {
		t.Fatal("Shutdown left the mount")
	}
	if err := s.Remove(context.Background(), "bound", false); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(src, "precious")); err != nil || string(b) != "keep me" {
		t.Fatalf("bind source damaged: %q %v", b, err)
	}
}

func TestMountRestoredAfterRestart(t *testing.T) {
	requireRoot(t)
	s, reopen := newTestService(t)
	v := mustCreate(t, s, "live", map[string]string{"type": "tmpfs", "device": "tmpfs"}, nil)
	cleanupMount(t, v.Mountpoint)
	if _, err := s.Mount("live", "c1"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(v.Mountpoint, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Live-restore: the daemon stops without Shutdown, the container keeps
	// running and mounts again after the restart; its data must still be
	// there (the existing mount is reused, not covered by a new tmpfs).
	s2 := reopen()
	if _, err := s2.Mount("live", "c1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(v.Mountpoint, "f")); err != nil {
		t.Fatalf("restored mount lost data: %v", err)
	}
	if err := s2.Unmount("live", "c1"); err != nil {
		t.Fatal(err)
	}
	if isMounted(t, v.Mountpoint) {
		t.Fatal("still mounted after the last unmount")
	}
	infos, _ := mountinfo.GetMounts(mountinfo.SingleEntryFilter(v.Mountpoint))
	if len(infos) != 0 {
		t.Fatalf("stacked mounts left: %d", len(infos))
	}
}

func TestMountNFSFailsClearly(t *testing.T) {
	requireRoot(t)
	if kernelHasFS("nfs") {
		t.Skip("this kernel has nfs; the test covers kernels without it")
	}
	s, _ := newTestService(t)
	v := mustCreate(t, s, "remote", map[string]string{"type": "nfs", "device": ":/export", "o": "addr=127.0.0.1,ro"}, nil)
	cleanupMount(t, v.Mountpoint)
	_, err := s.Mount("remote", "c1")
	if err == nil || !strings.Contains(err.Error(), `failed to mount local volume`) || !strings.Contains(err.Error(), `this kernel has no "nfs" filesystem support`) {
		t.Fatalf("nfs mount error: %v", err)
	}
	t.Log(err)
	if got := s.users("remote"); len(got) != 0 {
		t.Fatalf("failed mount left users %v", got)
	}
	if err := s.Remove(context.Background(), "remote", false); err != nil {
		t.Fatalf("remove after failed mount: %v", err)
	}
}

func TestLeftoverWithMountIsKept(t *testing.T) {
	requireRoot(t)
	s, reopen := newTestService(t)
	data := filepath.Join(s.root, ".remove-1", "vol", "_data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := mount.Mount("tmpfs", data, "tmpfs", "size=1m"); err != nil {
		t.Fatal(err)
	}
	cleanupMount(t, data)
	if err := os.WriteFile(filepath.Join(data, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	reopen()
	if _, err := os.Stat(filepath.Join(data, "f")); err != nil {
		t.Fatalf("deleted through a mount: %v", err)
	}
}

func TestRemoveRefusesNestedMount(t *testing.T) {
	requireRoot(t)
	s, _ := newTestService(t)
	v := mustCreate(t, s, "nested", nil, nil)
	sub := filepath.Join(v.Mountpoint, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := mount.Mount("tmpfs", sub, "tmpfs", "size=1m"); err != nil {
		t.Fatal(err)
	}
	cleanupMount(t, sub)
	if err := os.WriteFile(filepath.Join(sub, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := s.Remove(context.Background(), "nested", false)
	if err == nil || !strings.Contains(err.Error(), "remove nested: "+sub+" is still mounted") {
		t.Fatalf("remove over a nested mount: %v", err)
	}
	if _, err := os.Stat(filepath.Join(sub, "f")); err != nil {
		t.Fatalf("data under the mount touched: %v", err)
	}
	if err := mount.Unmount(sub); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(context.Background(), "nested", false); err != nil {
		t.Fatal(err)
	}
}
