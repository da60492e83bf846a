package oci

import (
	"os"
	"runtime"
	"strings"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/blkiodev"
	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// linuxMinMemory is Docker's floor for memory limits: not a kernel limit,
// but room for a container to start at all.
const linuxMinMemory = 6 << 20

// Resources validates r with Docker's rules for `docker update` and converts
// it to the OCI resources to apply to a running container. Devices are not
// included: they cannot be changed by an update.
func Resources(r *container.Resources) (*specs.LinuxResources, error) {
	if r == nil {
		return &specs.LinuxResources{}, nil
	}
	rc := *r
	if err := validateResources(&rc, true); err != nil {
		return nil, err
	}
	return convertResources(&rc)
}

// validateResources applies Docker's create/update checks. It may clear
// settings the host cannot honour (as Docker does with a warning), so it
// works on the caller's copy.
func validateResources(r *container.Resources, update bool) error {
	if r.MemorySwappiness != nil && *r.MemorySwappiness == -1 {
		r.MemorySwappiness = nil // -1 means "use the default"
	}
	if r.Memory != 0 && r.Memory < linuxMinMemory {
		return errdefs.InvalidParameter("Minimum memory limit allowed is 6MB")
	}
	if r.Memory > 0 && r.MemorySwap != -1 && !swapLimitSupported() {
		r.MemorySwap = -1
	}
	if r.Memory > 0 && r.MemorySwap > 0 && r.MemorySwap < r.Memory {
		return errdefs.InvalidParameter("Minimum memoryswap limit should be larger than memory limit, see usage")
	}
	if r.Memory == 0 && r.MemorySwap > 0 && !update {
		return errdefs.InvalidParameter("You should always set the Memory limit when using Memoryswap limit, see usage")
	}
	if r.MemorySwappiness != nil && (*r.MemorySwappiness < 0 || *r.MemorySwappiness > 100) {
		return errdefs.InvalidParameter("Invalid value: %v, valid memory swappiness range is 0-100", *r.MemorySwappiness)
	}
	if r.MemoryReservation > 0 && r.MemoryReservation < linuxMinMemory {
		return errdefs.InvalidParameter("Minimum memory reservation allowed is 6MB")
	}
	if r.Memory > 0 && r.MemoryReservation > 0 && r.Memory < r.MemoryReservation {
		return errdefs.InvalidParameter("Minimum memory limit can not be less than memory reservation limit, see usage")
	}
	if r.NanoCPUs > 0 && r.CPUPeriod > 0 {
		return errdefs.InvalidParameter("Conflicting options: Nano CPUs and CPU Period cannot both be set")
	}
	if r.NanoCPUs > 0 && r.CPUQuota > 0 {
		return errdefs.InvalidParameter("Conflicting options: Nano CPUs and CPU Quota cannot both be set")
	}
	if r.NanoCPUs != 0 {
		nc := runtime.NumCPU()
		if r.NanoCPUs < 0 || r.NanoCPUs > int64(nc)*1e9 {
			return errdefs.InvalidParameter("range of CPUs is from 0.01 to %[1]d.00, as there are only %[1]d CPUs available", nc)
		}
	}
	if r.CPUShares < 0 {
		return errdefs.InvalidParameter("invalid CPU shares (%d): value must be a positive integer", r.CPUShares)
	}
	if r.CPUPeriod != 0 && (r.CPUPeriod < 1000 || r.CPUPeriod > 1000000) {
		return errdefs.InvalidParameter("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)")
	}
	if r.CPUQuota > 0 && r.CPUQuota < 1000 {
		return errdefs.InvalidParameter("CPU cfs quota can not be less than 1ms (i.e. 1000)")
	}
	if err := checkCpuset(r.CpusetCpus, "/sys/devices/system/cpu/online", "cpus", "CPUs"); err != nil {
		return err
	}
	if err := checkCpuset(r.CpusetMems, "/sys/devices/system/node/online", "mems", "memory nodes"); err != nil {
		return err
	}
	if r.BlkioWeight > 0 && (r.BlkioWeight < 10 || r.BlkioWeight > 1000) {
		return errdefs.InvalidParameter("Range of blkio weight is from 10 to 1000")
	}
	if r.IOMaximumBandwidth != 0 || r.IOMaximumIOps != 0 {
		return errdefs.InvalidParameter("Invalid QoS settings: %s does not support Maximum IO Bandwidth or Maximum IO IOps", runtime.GOOS)
	}
	return nil
}

// checkCpuset rejects malformed or unavailable cpuset lists with Docker's
// messages.
func checkCpuset(req, onlineFile, kind, what string) error {
	if req == "" {
		return nil
	}
	want, err := parseCPUList(req)
	if err != nil {
		return errdefs.InvalidParameter("Invalid value %s for cpuset %s: %v", req, kind, err)
	}
	b, err := os.ReadFile(onlineFile)
	if err != nil {
		return nil // cannot tell; let the kernel decide
	}
	online := strings.TrimSpace(string(b))
	have, err := parseCPUList(online)
	if err != nil {
		return nil
	}
	for c := range want {
		if !have[c] {
			return errdefs.InvalidParameter("Requested %s are not available - requested %s, available: %s", what, req, online)
		}
	}
	return nil
}

// swapLimitSupported reports whether the memory cgroup can limit swap
// (cgroup v1 needs swap accounting; v2 has memory.swap.max).
func swapLimitSupported() bool {
	if cgroupV2() {
		return true
	}
	_, err := os.Stat("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes")
	return err == nil
}

// convertResources maps Docker resources to OCI ones the way Docker's
// WithResources does (zero values are left unset).
func convertResources(r *container.Resources) (*specs.LinuxResources, error) {
	out := &specs.LinuxResources{}
	mem := specs.LinuxMemory{}
	if r.Memory > 0 {
		mem.Limit = i64(r.Memory)
	}
	if r.MemoryReservation > 0 {
		mem.Reservation = i64(r.MemoryReservation)
	}
	if r.MemorySwap > 0 {
		mem.Swap = i64(r.MemorySwap)
	}
	if r.MemorySwappiness != nil {
		s := uint64(*r.MemorySwappiness)
		mem.Swappiness = &s
	}
	if r.OomKillDisable != nil {
		v := *r.OomKillDisable
		mem.DisableOOMKiller = &v
	}
	if mem != (specs.LinuxMemory{}) {
		out.Memory = &mem
	}

	cpu := specs.LinuxCPU{}
	if r.CPUShares > 0 {
		s := uint64(r.CPUShares)
		cpu.Shares = &s
	}
	cpu.Cpus, cpu.Mems = r.CpusetCpus, r.CpusetMems
	if r.NanoCPUs > 0 {
		// --cpus N is a CFS quota of N periods of 100ms.
		period := uint64(100000)
		cpu.Period = &period
		cpu.Quota = i64(r.NanoCPUs * int64(period) / 1e9)
	}
	if r.CPUPeriod != 0 {
		p := uint64(r.CPUPeriod)
		cpu.Period = &p
	}
	if r.CPUQuota != 0 {
		cpu.Quota = i64(r.CPUQuota)
	}
	if r.CPURealtimePeriod != 0 {
		p := uint64(r.CPURealtimePeriod)
		cpu.RealtimePeriod = &p
	}
	if r.CPURealtimeRuntime != 0 {
		cpu.RealtimeRuntime = i64(r.CPURealtimeRuntime)
	}
	if cpu != (specs.LinuxCPU{}) {
		out.CPU = &cpu
	}

	if r.PidsLimit != nil {
		limit := *r.PidsLimit
		if limit <= 0 {
			limit = -1 // 0 and negatives mean unlimited; runc wants -1
		}
		out.Pids = &specs.LinuxPids{Limit: &limit}
	}

	bio := &specs.LinuxBlockIO{}
	if r.BlkioWeight != 0 {
		w := r.BlkioWeight
		bio.Weight = &w
	}
	for _, wd := range r.BlkioWeightDevice {
		major, minor, err := blockDevNumbers(wd.Path)
		if err != nil {
			return nil, err
		}
		w := wd.Weight
		d := specs.LinuxWeightDevice{Weight: &w}
		d.Major, d.Minor = major, minor
		bio.WeightDevice = append(bio.WeightDevice, d)
	}
	var err error
	if bio.ThrottleReadBpsDevice, err = throttleDevices(r.BlkioDeviceReadBps); err != nil {
		return nil, err
	}
	if bio.ThrottleWriteBpsDevice, err = throttleDevices(r.BlkioDeviceWriteBps); err != nil {
		return nil, err
	}
	if bio.ThrottleReadIOPSDevice, err = throttleDevices(r.BlkioDeviceReadIOps); err != nil {
		return nil, err
	}
	if bio.ThrottleWriteIOPSDevice, err = throttleDevices(r.BlkioDeviceWriteIOps); err != nil {
		return nil, err
	}
	out.BlockIO = bio
	return out, nil
}

func throttleDevices(devs []*blkiodev.ThrottleDevice) ([]specs.LinuxThrottleDevice, error) {
	var out []specs.LinuxThrottleDevice
	for _, d := range devs {
		major, minor, err := blockDevNumbers(d.Path)
		if err != nil {
			return nil, err
		}
		td := specs.LinuxThrottleDevice{Rate: d.Rate}
		td.Major, td.Minor = major, minor
		out = append(out, td)
	}
	return out, nil
}

func blockDevNumbers(path string) (int64, int64, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, 0, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	return int64(unix.Major(uint64(st.Rdev))), int64(unix.Minor(uint64(st.Rdev))), nil
}
