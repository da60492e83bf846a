package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// setupRealtime gives the containers' parent cgroup a real-time budget
// (dockerd's --cpu-rt-period/--cpu-rt-runtime): the kernel lets a child
// have rt runtime only out of its parent's, so without it a container's
// --cpu-rt-runtime cannot be set. cgroup v1 only (v2 has no RT groups).
func setupRealtime(parent string, period, runtime int64) error {
	if period == 0 && runtime == 0 {
		return nil
	}
	dir := filepath.Join("/sys/fs/cgroup/cpu", parent)
	if _, err := os.Stat("/sys/fs/cgroup/cpu/cpu.rt_runtime_us"); err != nil {
		return fmt.Errorf("cpu-rt-runtime: the kernel has no CPU real-time group scheduling (cgroup v1 cpu.rt_runtime_us)")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if period != 0 {
		if err := os.WriteFile(filepath.Join(dir, "cpu.rt_period_us"), []byte(strconv.FormatInt(period, 10)), 0o644); err != nil {
			return fmt.Errorf("cpu-rt-period: %w", err)
		}
	}
	if runtime != 0 {
		if err := os.WriteFile(filepath.Join(dir, "cpu.rt_runtime_us"), []byte(strconv.FormatInt(runtime, 10)), 0o644); err != nil {
			return fmt.Errorf("cpu-rt-runtime: %w", err)
		}
	}
	return nil
}
