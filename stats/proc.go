package stats

import (
	"bufio"
	"errors"
	"os"
	"strconv"
	"strings"

	containertypes "github.com/moby/moby/api/types/container"
)

// systemCPU is the host's CPU time in nanoseconds (the first line of
// /proc/stat, idle included, as Docker sums it) and the number of CPUs.
func systemCPU(path string) (uint64, uint32, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	var total uint64
	var cpus uint32
	found := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || !strings.HasPrefix(fields[0], "cpu") {
			continue
		}
		if fields[0] != "cpu" {
			cpus++
			continue
		}
		if len(fields) < 8 {
			return 0, 0, errors.New("bad /proc/stat cpu line")
		}
		// user nice system idle iowait irq softirq (steal ignored by Docker)
		for _, v := range fields[1:8] {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return 0, 0, err
			}
			total += n
		}
		found = true
	}
	if !found {
		return 0, 0, errors.New("no cpu line in /proc/stat")
	}
	return total * nsPerTick, cpus, nil
}

// hostMemory is MemTotal in bytes.
func hostMemory(path string) (uint64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no MemTotal in meminfo")
}

// netDev parses /proc/<pid>/net/dev: the container's interfaces, seen
// from inside its namespace, loopback left out as Docker does.
func netDev(path string) (map[string]containertypes.NetworkStats, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]containertypes.NetworkStats{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		name = strings.TrimSpace(name)
		if !ok || name == "lo" || strings.Contains(name, "|") {
			continue
		}
		var v [16]uint64
		fields := strings.Fields(rest)
		if len(fields) < 16 {
			continue
		}
		for i := range v {
			v[i], _ = strconv.ParseUint(fields[i], 10, 64)
		}
		out[name] = containertypes.NetworkStats{RxBytes: v[0], RxPackets: v[1], RxErrors: v[2], RxDropped: v[3],
			TxBytes: v[8], TxPackets: v[9], TxErrors: v[10], TxDropped: v[11]}
	}
	return out, sc.Err()
}
