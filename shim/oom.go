package shim

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

const cgroupRoot = "/sys/fs/cgroup"

// oomKilled reports whether the kernel OOM-killed a process of the
// container's memory cgroup (read before the cgroup is destroyed).
func oomKilled(spec *specs.Spec) bool {
	if spec.Linux == nil || !filepath.IsAbs(spec.Linux.CgroupsPath) {
		return false
	}
	path := spec.Linux.CgroupsPath
	if _, err := os.Stat(filepath.Join(cgroupRoot, "cgroup.controllers")); err == nil {
		return counter(filepath.Join(cgroupRoot, path, "memory.events"), "oom_kill") > 0
	}
	return counter(filepath.Join(cgroupRoot, "memory", path, "memory.oom_control"), "oom_kill") > 0
}

// counter reads "key N" from a cgroup flat-keyed file.
func counter(file, key string) int64 {
	f, err := os.Open(file)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if ok && k == key {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}
