package oci

import (
	"sync"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// cgroupV2 reports whether /sys/fs/cgroup is the unified hierarchy. A
// hybrid host (v1 controllers plus /sys/fs/cgroup/unified) counts as v1,
// as in Docker.
var cgroupV2 = sync.OnceValue(func() bool {
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err != nil {
		return false
	}
	return st.Type == unix.CGROUP2_SUPER_MAGIC
})

// effectiveCgroupnsMode resolves an empty mode the way Docker does at
// create time: private on cgroup v2, host on v1 (and always host for
// privileged containers on v1).
func effectiveCgroupnsMode(hc *container.HostConfig) container.CgroupnsMode {
	if !hc.CgroupnsMode.IsEmpty() {
		return hc.CgroupnsMode
	}
	if cgroupV2() {
		return container.CgroupnsModePrivate
	}
	return container.CgroupnsModeHost
}

// namespaces builds the namespace list in Docker's order: mount, network,
// uts, pid, ipc, then cgroup when private.
func namespaces(in *Input) ([]specs.LinuxNamespace, error) {
	hc := in.HostConfig
	if !hc.IpcMode.Valid() {
		return nil, errdefs.InvalidParameter("invalid IPC mode: %v", hc.IpcMode)
	}
	if !hc.PidMode.Valid() {
		return nil, errdefs.InvalidParameter("invalid PID mode: %v", hc.PidMode)
	}
	if !hc.UTSMode.Valid() {
		return nil, errdefs.InvalidParameter("invalid UTS mode: %v", hc.UTSMode)
	}
	if !hc.CgroupnsMode.Valid() {
		return nil, errdefs.InvalidParameter("invalid cgroup namespace mode: %v", hc.CgroupnsMode)
	}
	if hc.PidMode.IsContainer() || hc.IpcMode.IsContainer() {
		// Joining another container's namespaces needs its pid, which the
		// daemon does not pass in yet.
		return nil, errdefs.NotImplemented("sharing another container's PID or IPC namespace is not supported yet")
	}
	if !hc.UsernsMode.Valid() {
		return nil, errdefs.InvalidParameter("invalid USER mode: %v", hc.UsernsMode)
	}

	ns := []specs.LinuxNamespace{{Type: specs.MountNamespace}}
	switch {
	case in.Config != nil && in.Config.NetworkDisabled:
		// Docker keeps its default (new, empty) namespace here.
		ns = append(ns, specs.LinuxNamespace{Type: specs.NetworkNamespace})
	case hc.NetworkMode.IsHost():
	default:
		// container:<id> arrives here with the other container's netns
		// path already resolved by the daemon.
		ns = append(ns, specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: in.NetNSPath})
	}
	if !hc.UTSMode.IsHost() {
		ns = append(ns, specs.LinuxNamespace{Type: specs.UTSNamespace})
	}
	if !hc.PidMode.IsHost() {
		ns = append(ns, specs.LinuxNamespace{Type: specs.PIDNamespace})
	}
	if !hc.IpcMode.IsHost() {
		ns = append(ns, specs.LinuxNamespace{Type: specs.IPCNamespace})
	}
	if effectiveCgroupnsMode(hc).IsPrivate() {
		ns = append(ns, specs.LinuxNamespace{Type: specs.CgroupNamespace})
	}
	return ns, nil
}
