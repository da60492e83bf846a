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

func readV2(dir string, s *containertypes.StatsResponse) error {
	if _, err := os.Stat(dir); err != nil {
		return errors.New("container cgroup not found (is it running?)")
	}
	cpu := readKV(filepath.Join(dir, "cpu.stat"))
	// cpu.stat is in microseconds.
	s.CPUStats.CPUUsage = containertypes.CPUUsage{TotalUsage: cpu["usage_usec"] * 1000,
		UsageInUsermode: cpu["user_usec"] * 1000, UsageInKernelmode: cpu["system_usec"] * 1000}
	s.CPUStats.ThrottlingData = containertypes.ThrottlingData{Periods: cpu["nr_periods"], ThrottledPeriods: cpu["nr_throttled"], ThrottledTime: cpu["throttled_usec"] * 1000}
	m := &s.MemoryStats
	m.Usage = readUint(filepath.Join(dir, "memory.current"))
	m.Stats = readKV(filepath.Join(dir, "memory.stat"))
	m.Limit = readUint(filepath.Join(dir, "memory.max")) // "max" parses as 0: unlimited
	if ev := readKV(filepath.Join(dir, "memory.events")); ev != nil {
		m.Failcnt = ev["max"]
	}
	s.PidsStats.Current = readUint(filepath.Join(dir, "pids.current"))
	s.PidsStats.Limit = readUint(filepath.Join(dir, "pids.max"))
	s.BlkioStats.IoServiceBytesRecursive, s.BlkioStats.IoServicedRecursive = readIOStat(filepath.Join(dir, "io.stat"))
	return nil
}

// readIOStat turns io.stat ("8:0 rbytes=1 wbytes=2 rios=3 wios=4 ...")
// into Docker's v2 blkio entries (ops "read" and "write").
func readIOStat(path string) (bytes, ios []containertypes.BlkioStatEntry) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		var major, minor uint64
		if _, err := fmt.Sscanf(fields[0], "%d:%d", &major, &minor); err != nil {
			continue
		}
		for _, kv := range fields[1:] {
			k, v, _ := strings.Cut(kv, "=")
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				continue
			}
			e := containertypes.BlkioStatEntry{Major: major, Minor: minor, Value: n}
			switch k {
			case "rbytes":
				e.Op = "read"
				bytes = append(bytes, e)
			case "wbytes":
				e.Op = "write"
				bytes = append(bytes, e)
			case "rios":
				e.Op = "read"
				ios = append(ios, e)
			case "wios":
				e.Op = "write"
				ios = append(ios, e)
			}
		}
	}
	return bytes, ios
}
