package lifecycle

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/sys/mountinfo"
)

// checkPropagation is Docker's ensureShared/ensureSharedOrSlave: a shared
// bind only propagates if its source sits on a shared mount, a slave bind
// needs a shared or slave one. Docker refuses rather than silently
// propagating nothing.
func checkPropagation(source string, prop mount.Propagation) error {
	var want []string
	switch prop {
	case mount.PropagationShared, mount.PropagationRShared:
		want = []string{"shared:"}
	case mount.PropagationSlave, mount.PropagationRSlave:
		want = []string{"shared:", "master:"}
	default:
		return nil
	}
	mnt, optional, err := sourceMount(source)
	if err != nil {
		return err
	}
	for _, opt := range strings.Fields(optional) {
		for _, w := range want {
			if strings.HasPrefix(opt, w) {
				return nil
			}
		}
	}
	if len(want) == 1 {
		return errdefs.InvalidParameter("path %s is mounted on %s but it is not a shared mount", source, mnt)
	}
	return errdefs.InvalidParameter("path %s is mounted on %s but it is not a shared or slave mount", source, mnt)
}

// sourceMount finds the mount holding path and its optional fields.
func sourceMount(path string) (string, string, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", "", err
	}
	mounts, err := mountinfo.GetMounts(mountinfo.ParentsFilter(real))
	if err != nil {
		return "", "", fmt.Errorf("read mountinfo: %w", err)
	}
	var best *mountinfo.Info
	for _, m := range mounts {
		// Later entries are mounted on top of earlier ones at the same path.
		if best == nil || len(m.Mountpoint) >= len(best.Mountpoint) {
			best = m
		}
	}
	if best == nil {
		return "", "", fmt.Errorf("no mount found for %s", path)
	}
	return best.Mountpoint, best.Optional, nil
}
