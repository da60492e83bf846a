package container

import (
	"fmt"
	"strings"

	"github.com/berth-project/berth/cli/format"
	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
)

// Docker's stats table and column titles.
const defaultStatsTable = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"

var statsHeaders = format.Headers{
	"Container": "CONTAINER",
	"ID":        "CONTAINER ID",
	"Name":      "NAME",
	"CPUPerc":   "CPU %",
	"MemUsage":  "MEM USAGE / LIMIT",
	"MemPerc":   "MEM %",
	"NetIO":     "NET I/O",
	"BlockIO":   "BLOCK I/O",
	"PIDs":      "PIDS",
}

// statsEntry is one container's figures, computed as the docker CLI
// computes them from a sample.
type statsEntry struct {
	container        string // as the user named it (or the full ID)
	name, id         string
	cpu, memPerc     float64
	mem, memLimit    float64
	netRx, netTx     float64
	blkRead, blkWrte float64
	pids             uint64
	invalid          bool // no sample (error): "--" columns
}

func newStatsEntry(ref string, v *container.StatsResponse) statsEntry {
	e := statsEntry{container: ref, name: v.Name, id: v.ID}
	e.cpu = cpuPercent(v)
	e.mem = memNoCache(v.MemoryStats)
	e.memLimit = float64(v.MemoryStats.Limit)
	if e.memLimit != 0 {
		e.memPerc = e.mem / e.memLimit * 100
	}
	for _, n := range v.Networks {
		e.netRx += float64(n.RxBytes)
		e.netTx += float64(n.TxBytes)
	}
	for _, b := range v.BlkioStats.IoServiceBytesRecursive {
		switch strings.ToLower(b.Op) {
		case "read":
			e.blkRead += float64(b.Value)
		case "write":
			e.blkWrte += float64(b.Value)
		}
	}
	e.pids = v.PidsStats.Current
	return e
}

// cpuPercent is the container's share of the host over the sample pair,
// scaled to the number of CPUs (100% = one CPU busy).
func cpuPercent(v *container.StatsResponse) float64 {
	cpuDelta := float64(v.CPUStats.CPUUsage.TotalUsage) - float64(v.PreCPUStats.CPUUsage.TotalUsage)
	sysDelta := float64(v.CPUStats.SystemUsage) - float64(v.PreCPUStats.SystemUsage)
	cpus := float64(v.CPUStats.OnlineCPUs)
	if cpus == 0 {
		cpus = float64(len(v.CPUStats.CPUUsage.PercpuUsage))
	}
	if sysDelta > 0 && cpuDelta > 0 {
		return cpuDelta / sysDelta * cpus * 100
	}
	return 0
}

// memNoCache leaves the page cache out: total_inactive_file on cgroup v1,
// inactive_file on v2.
func memNoCache(m container.MemoryStats) float64 {
	if v, ok := m.Stats["total_inactive_file"]; ok && v < m.Usage {
		return float64(m.Usage - v)
	}
	if v := m.Stats["inactive_file"]; v < m.Usage {
		return float64(m.Usage - v)
	}
	return float64(m.Usage)
}

// statsRow exposes an entry to templates with docker's field names.
type statsRow struct {
	e     statsEntry
	trunc bool
}

func (r *statsRow) MarshalJSON() ([]byte, error) { return format.MarshalJSON(r) }

func (r *statsRow) Container() string { return r.e.container }

func (r *statsRow) Name() string {
	if len(r.e.name) > 1 {
		return r.e.name[1:]
	}
	return "--"
}

func (r *statsRow) ID() string {
	if r.trunc {
		return format.TruncateID(r.e.id)
	}
	return r.e.id
}

func (r *statsRow) CPUPerc() string {
	if r.e.invalid {
		return "--"
	}
	return fmt.Sprintf("%.2f%%", r.e.cpu)
}

func (r *statsRow) MemUsage() string {
	if r.e.invalid {
		return "-- / --"
	}
	return units.BytesSize(r.e.mem) + " / " + units.BytesSize(r.e.memLimit)
}

func (r *statsRow) MemPerc() string {
	if r.e.invalid {
		return "--"
	}
	return fmt.Sprintf("%.2f%%", r.e.memPerc)
}

func (r *statsRow) NetIO() string {
	if r.e.invalid {
		return "--"
	}
	return units.HumanSizeWithPrecision(r.e.netRx, 3) + " / " + units.HumanSizeWithPrecision(r.e.netTx, 3)
}

func (r *statsRow) BlockIO() string {
	if r.e.invalid {
		return "--"
	}
	return units.HumanSizeWithPrecision(r.e.blkRead, 3) + " / " + units.HumanSizeWithPrecision(r.e.blkWrte, 3)
}

func (r *statsRow) PIDs() string {
	if r.e.invalid {
		return "--"
	}
	return fmt.Sprintf("%d", r.e.pids)
}
