package lifecycle

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// killOrphans cleans up after a shim (or the group monitor) that died
// without recording the container's exit: the container's processes may
// still run, now re-parented to init, and would keep its cgroups, mounts
// and network namespace alive. They are found through the container's
// cgroup in every hierarchy, killed, and the cgroups and the runtime's
// state removed.
func (s *Service) killOrphans(id string) {
	if s.cfg.CgroupParent == "" {
		return
	}
	dirs := cgroupDirs(filepath.Join(s.cfg.CgroupParent, id))
	// A frozen (paused) container would not die: thaw it first.
	for _, d := range dirs {
		if f := filepath.Join(d, "freezer.state"); fileExists(f) {
			_ = os.WriteFile(f, []byte("THAWED"), 0o644)
		}
		if f := filepath.Join(d, "cgroup.freeze"); fileExists(f) {
			_ = os.WriteFile(f, []byte("0"), 0o644)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		alive := false
		for _, d := range dirs {
			for _, pid := range cgroupPids(d) {
				alive = true
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		if !alive || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, d := range dirs {
		_ = os.Remove(d)
	}
	_ = os.RemoveAll(filepath.Join(s.cfg.runtimeRoot(), id))
}

// cgroupDirs is the cgroup directory rel in every v1 hierarchy and in the
// unified one (entries that do not exist are harmless to read or remove).
func cgroupDirs(rel string) []string {
	dirs, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "*", rel))
	return append(dirs, filepath.Join("/sys/fs/cgroup", rel))
}

func cgroupPids(dir string) []int {
	data, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(data)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	return pids
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
