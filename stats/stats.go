// Package stats reads a container's resource usage from its cgroup (v1
// hierarchies or the v2 unified tree), the host's /proc/stat and the
// container's network namespace, and shapes it as Docker's stats JSON.
package stats

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	containertypes "github.com/moby/moby/api/types/container"
)

// Source locates one container's counters.
type Source struct {
	// CgroupRoot is where cgroup file systems are mounted
	// (/sys/fs/cgroup; tests point it at a fake tree).
	CgroupRoot string
	// Rel is the container's cgroup path below each hierarchy's root.
	Rel string
	// ProcRoot is /proc (for /proc/stat and /proc/<pid>/net/dev).
	ProcRoot string
	// Pid is the container's init on the host; 0 leaves out networks.
	Pid int
	// HostNetwork: the container shares the host's interfaces, which
	// Docker does not report.
	HostNetwork bool
}

// Collect takes one sample. Counters a kernel does not offer stay zero.
func Collect(src Source) (*containertypes.StatsResponse, error) {
	if src.CgroupRoot == "" {
		src.CgroupRoot = "/sys/fs/cgroup"
	}
	if src.ProcRoot == "" {
		src.ProcRoot = "/proc"
	}
	s := &containertypes.StatsResponse{Read: time.Now().UTC(), OSType: "linux"}
	var err error
	if unified(src.CgroupRoot) {
		err = readV2(filepath.Join(src.CgroupRoot, src.Rel), s)
	} else {
		err = readV1(src.CgroupRoot, src.Rel, s)
	}
	if err != nil {
		return nil, err
	}
	if sys, cpus, err := systemCPU(filepath.Join(src.ProcRoot, "stat")); err == nil {
		s.CPUStats.SystemUsage, s.CPUStats.OnlineCPUs = sys, cpus
	}
	if s.CPUStats.OnlineCPUs == 0 {
		s.CPUStats.OnlineCPUs = uint32(runtime.NumCPU())
	}
	if s.MemoryStats.Limit == 0 || s.MemoryStats.Limit >= 1<<62 {
		// Unlimited: Docker reports the host's memory.
		if total, err := hostMemory(filepath.Join(src.ProcRoot, "meminfo")); err == nil {
			s.MemoryStats.Limit = total
		}
	}
	if src.Pid > 0 && !src.HostNetwork {
		if nets, err := netDev(filepath.Join(src.ProcRoot, fmt.Sprint(src.Pid), "net", "dev")); err == nil {
			s.Networks = nets
		}
	}
	return s, nil
}

// unified reports a cgroup v2-only host (the root is a cgroup2 mount).
func unified(root string) bool {
	_, err := os.Stat(filepath.Join(root, "cgroup.controllers"))
	return err == nil
}
