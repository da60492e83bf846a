package layer

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// overlayOpts pins the features whose on-disk effects (redirect and
// metacopy xattrs, index) would make the upper dir unreadable as a plain
// layer diff, whatever the kernel's defaults are.
const overlayOpts = ",index=off,redirect_dir=off,metacopy=off"

// mountOverlay mounts an overlay of lower (colon separated, top first)
// with upper/work at target. Mount data must fit in a page; longer lower
// lists go through the new mount API, one "lowerdir+" per layer.
func mountOverlay(lower, upper, work, target string) error {
	data := "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work + overlayOpts
	if len(data) < os.Getpagesize() {
		if err := unix.Mount("overlay", target, "overlay", 0, data); err != nil {
			return &os.PathError{Op: "mount overlay", Path: target, Err: err}
		}
		return nil
	}
	return mountOverlayFsconfig(strings.Split(lower, ":"), upper, work, target)
}

func mountOverlayFsconfig(lowers []string, upper, work, target string) error {
	fsfd, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return fmt.Errorf("mount overlay (%d layers): fsopen: %w", len(lowers), err)
	}
	defer unix.Close(fsfd)
	set := func(k, v string) error {
		if err := unix.FsconfigSetString(fsfd, k, v); err != nil {
			return fmt.Errorf("mount overlay (%d layers): %s=%s: %w", len(lowers), k, v, err)
		}
		return nil
	}
	for _, l := range lowers {
		if err := set("lowerdir+", l); err != nil {
			return err
		}
	}
	for _, kv := range [][2]string{{"upperdir", upper}, {"workdir", work}, {"index", "off"}, {"redirect_dir", "off"}, {"metacopy", "off"}} {
		if err := set(kv[0], kv[1]); err != nil {
			return err
		}
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return fmt.Errorf("mount overlay (%d layers): create: %w", len(lowers), err)
	}
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("mount overlay: fsmount: %w", err)
	}
	defer unix.Close(mfd)
	if err := unix.MoveMount(mfd, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("mount overlay: move_mount to %s: %w", target, err)
	}
	return nil
}
