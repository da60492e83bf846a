package stats

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	containertypes "github.com/moby/moby/api/types/container"
)

// v1Dir finds a controller's directory: its own mount, or a combined
// one such as "cpu,cpuacct".
func v1Dir(root, controller, rel string) string {
	p := filepath.Join(root, controller, rel)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	matches, _ := filepath.Glob(filepath.Join(root, "*"+controller+"*", rel))
	for _, m := range matches {
		hierarchy := strings.TrimSuffix(m, filepath.Clean("/"+rel))
		for _, part := range strings.Split(filepath.Base(hierarchy), ",") {
			if part == controller {
				return m
			}
		}
	}
	return ""
}

func readV1(root, rel string, s *containertypes.StatsResponse) error {
	mem := v1Dir(root, "memory", rel)
	acct := v1Dir(root, "cpuacct", rel)
	if mem == "" && acct == "" {
		return errors.New("container cgroup not found (is it running?)")
	}
	if acct != "" {
		u := &s.CPUStats.CPUUsage
		u.TotalUsage = readUint(filepath.Join(acct, "cpuacct.usage"))
		u.PercpuUsage = readUints(filepath.Join(acct, "cpuacct.usage_percpu"))
		// cpuacct.stat is in USER_HZ ticks; Docker converts to ns.
		kv := readKV(filepath.Join(acct, "cpuacct.stat"))
		u.UsageInUsermode = kv["user"] * nsPerTick
		u.UsageInKernelmode = kv["system"] * nsPerTick
	}
	if cpu := v1Dir(root, "cpu", rel); cpu != "" {
		kv := readKV(filepath.Join(cpu, "cpu.stat"))
		s.CPUStats.ThrottlingData = containertypes.ThrottlingData{Periods: kv["nr_periods"], ThrottledPeriods: kv["nr_throttled"], ThrottledTime: kv["throttled_time"]}
	}
	if mem != "" {
		m := &s.MemoryStats
		m.Usage = readUint(filepath.Join(mem, "memory.usage_in_bytes"))
		m.MaxUsage = readUint(filepath.Join(mem, "memory.max_usage_in_bytes"))
		m.Failcnt = readUint(filepath.Join(mem, "memory.failcnt"))
		m.Stats = readKV(filepath.Join(mem, "memory.stat"))
		m.Limit = readUint(filepath.Join(mem, "memory.limit_in_bytes"))
		if h, ok := m.Stats["hierarchical_memory_limit"]; ok && (m.Limit == 0 || h < m.Limit) {
			m.Limit = h
		}
	}
	if pids := v1Dir(root, "pids", rel); pids != "" {
		s.PidsStats.Current = readUint(filepath.Join(pids, "pids.current"))
		s.PidsStats.Limit = readUint(filepath.Join(pids, "pids.max"))
	}
	if blk := v1Dir(root, "blkio", rel); blk != "" {
		b := &s.BlkioStats
		// The throttle files count every I/O; the CFQ ones are empty on
		// modern block schedulers (Docker falls back the same way).
		b.IoServiceBytesRecursive = readBlkio(filepath.Join(blk, "blkio.throttle.io_service_bytes_recursive"))
		b.IoServicedRecursive = readBlkio(filepath.Join(blk, "blkio.throttle.io_serviced_recursive"))
		if len(b.IoServiceBytesRecursive) == 0 {
			b.IoServiceBytesRecursive = readBlkio(filepath.Join(blk, "blkio.io_service_bytes_recursive"))
			b.IoServicedRecursive = readBlkio(filepath.Join(blk, "blkio.io_serviced_recursive"))
		}
	}
	return nil
}

// nsPerTick converts USER_HZ (100 on Linux) ticks to nanoseconds.
const nsPerTick = 1e9 / 100

// readBlkio parses "8:0 Read 4096" lines ("Total" and the bare total line
// are left out, as Docker does).
func readBlkio(path string) []containertypes.BlkioStatEntry {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []containertypes.BlkioStatEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 {
			continue
		}
		var major, minor uint64
		if _, err := fmt.Sscanf(fields[0], "%d:%d", &major, &minor); err != nil {
			continue
		}
		v, err := strconv.ParseUint(fields[2], 10, 64)
		if err != nil {
			continue
		}
		out = append(out, containertypes.BlkioStatEntry{Major: major, Minor: minor, Op: fields[1], Value: v})
	}
	return out
}

func readUint(path string) uint64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	v, _ := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
	return v
}

func readUints(path string) []uint64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []uint64
	for _, f := range strings.Fields(string(data)) {
		v, _ := strconv.ParseUint(f, 10, 64)
		out = append(out, v)
	}
	return out
}

// readKV parses "key value" lines (memory.stat, cpu.stat, cpuacct.stat).
func readKV(path string) map[string]uint64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	out := map[string]uint64{}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64); err == nil {
			out[k] = n
		}
	}
	return out
}
