package lifecycle

import (
	"os"
	"path/filepath"

	"github.com/moby/moby/api/types/blkiodev"
	containertypes "github.com/moby/moby/api/types/container"
)

// blkioRoot is the blkio hierarchy (cgroup v1) probed for weight support.
var blkioRoot = "/sys/fs/cgroup/blkio"

// blkioWeightSupported: the proportional-weight files exist only with the
// CFQ or BFQ I/O schedulers (this kernel has neither). Docker probes the
// same files in its sysinfo.
func blkioWeightSupported() bool {
	for _, f := range []string{"blkio.weight", "blkio.bfq.weight"} {
		if _, err := os.Stat(filepath.Join(blkioRoot, f)); err == nil {
			return true
		}
	}
	// cgroup v2: io.weight lives in child groups only.
	_, err := os.Stat("/sys/fs/cgroup/cgroup.controllers")
	return err == nil
}

// discardUnsupported drops the settings the kernel cannot honour, with
// Docker's warnings (create and update answer them; the setting is not
// kept), before the range checks, as Docker orders them.
func discardUnsupported(r *containertypes.Resources) []string {
	warnings := []string{}
	if r.BlkioWeight > 0 && !blkioWeightSupported() {
		warnings = append(warnings, "Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.")
		r.BlkioWeight = 0
	}
	if len(r.BlkioWeightDevice) > 0 && !blkioWeightSupported() {
		warnings = append(warnings, "Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.")
		r.BlkioWeightDevice = []*blkiodev.WeightDevice{}
	}
	return warnings
}
