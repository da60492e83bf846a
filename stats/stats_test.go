package stats

import (
	"os"
	"path/filepath"
	"testing"
)

func write(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, data := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

var procFiles = map[string]string{
	"proc/stat":    "cpu  100 0 50 1000 10 0 0 0 0 0\ncpu0 50 0 25 500 5 0 0 0 0 0\ncpu1 50 0 25 500 5 0 0 0 0 0\nintr 1\n",
	"proc/meminfo": "MemTotal:        2048 kB\nMemFree: 1 kB\n",
	"proc/42/net/dev": "Inter-|   Receive                                                |  Transmit\n" +
		" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n" +
		"    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0\n" +
		"  eth0:    1500      10    1    2    0     0          0         0      700       5    3    4    0     0       0          0\n",
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func TestCollectV1(t *testing.T) {
	rel := "berth/abc"
	root := write(t, merge(procFiles, map[string]string{
		"cg/cpu,cpuacct/" + rel + "/cpuacct.usage":                       "5000\n",
		"cg/cpu,cpuacct/" + rel + "/cpuacct.usage_percpu":                "2000 3000\n",
		"cg/cpu,cpuacct/" + rel + "/cpuacct.stat":                        "user 3\nsystem 1\n",
		"cg/cpu,cpuacct/" + rel + "/cpu.stat":                            "nr_periods 7\nnr_throttled 2\nthrottled_time 99\n",
		"cg/memory/" + rel + "/memory.usage_in_bytes":                    "4096\n",
		"cg/memory/" + rel + "/memory.max_usage_in_bytes":                "8192\n",
		"cg/memory/" + rel + "/memory.limit_in_bytes":                    "9223372036854771712\n",
		"cg/memory/" + rel + "/memory.stat":                              "cache 10\ntotal_inactive_file 1024\nhierarchical_memory_limit 9223372036854771712\n",
		"cg/pids/" + rel + "/pids.current":                               "3\n",
		"cg/pids/" + rel + "/pids.max":                                   "max\n",
		"cg/blkio/" + rel + "/blkio.throttle.io_service_bytes_recursive": "8:0 Read 4096\n8:0 Write 8192\n8:0 Total 12288\nTotal 12288\n",
	}))
	s, err := Collect(Source{CgroupRoot: filepath.Join(root, "cg"), ProcRoot: filepath.Join(root, "proc"), Rel: rel, Pid: 42})
	if err != nil {
		t.Fatal(err)
	}
	u := s.CPUStats.CPUUsage
	if u.TotalUsage != 5000 || len(u.PercpuUsage) != 2 || u.UsageInUsermode != 3*nsPerTick || u.UsageInKernelmode != nsPerTick {
		t.Errorf("cpu usage: %+v", u)
	}
	if s.CPUStats.ThrottlingData.ThrottledPeriods != 2 || s.CPUStats.OnlineCPUs != 2 || s.CPUStats.SystemUsage != 1160*nsPerTick {
		t.Errorf("cpu: %+v", s.CPUStats)
	}
	if m := s.MemoryStats; m.Usage != 4096 || m.MaxUsage != 8192 || m.Limit != 2048*1024 || m.Stats["total_inactive_file"] != 1024 {
		t.Errorf("memory (unlimited → host memory): %+v", m)
	}
	if s.PidsStats.Current != 3 || s.PidsStats.Limit != 0 {
		t.Errorf("pids: %+v", s.PidsStats)
	}
	if b := s.BlkioStats.IoServiceBytesRecursive; len(b) != 3 || b[1].Op != "Write" || b[1].Value != 8192 {
		t.Errorf("blkio: %+v", b)
	}
	if n, ok := s.Networks["eth0"]; !ok || len(s.Networks) != 1 || n.RxBytes != 1500 || n.TxBytes != 700 || n.RxDropped != 2 || n.TxErrors != 3 {
		t.Errorf("networks: %+v", s.Networks)
	}
}

func TestCollectV2(t *testing.T) {
	rel := "berth/abc"
	root := write(t, merge(procFiles, map[string]string{
		"cg/cgroup.controllers":         "cpu memory pids io\n",
		"cg/" + rel + "/cpu.stat":       "usage_usec 10\nuser_usec 6\nsystem_usec 4\nnr_periods 1\nnr_throttled 0\nthrottled_usec 0\n",
		"cg/" + rel + "/memory.current": "2048\n",
		"cg/" + rel + "/memory.max":     "1048576\n",
		"cg/" + rel + "/memory.stat":    "anon 100\ninactive_file 512\n",
		"cg/" + rel + "/memory.events":  "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n",
		"cg/" + rel + "/pids.current":   "2\n",
		"cg/" + rel + "/pids.max":       "100\n",
		"cg/" + rel + "/io.stat":        "8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n",
	}))
	s, err := Collect(Source{CgroupRoot: filepath.Join(root, "cg"), ProcRoot: filepath.Join(root, "proc"), Rel: rel, HostNetwork: true, Pid: 42})
	if err != nil {
		t.Fatal(err)
	}
	if u := s.CPUStats.CPUUsage; u.TotalUsage != 10000 || u.UsageInUsermode != 6000 {
		t.Errorf("cpu: %+v", u)
	}
	if m := s.MemoryStats; m.Usage != 2048 || m.Limit != 1048576 || m.Failcnt != 4 || m.Stats["inactive_file"] != 512 {
		t.Errorf("memory: %+v", m)
	}
	if s.PidsStats.Current != 2 || s.PidsStats.Limit != 100 {
		t.Errorf("pids: %+v", s.PidsStats)
	}
	b, ios := s.BlkioStats.IoServiceBytesRecursive, s.BlkioStats.IoServicedRecursive
	if len(b) != 2 || b[0].Op != "read" || b[0].Value != 10 || b[1].Value != 20 || len(ios) != 2 || ios[1].Value != 2 {
		t.Errorf("io: %+v %+v", b, ios)
	}
	if s.Networks != nil {
		t.Errorf("host network reported: %+v", s.Networks)
	}
}

func TestCollectMissingCgroup(t *testing.T) {
	root := write(t, procFiles)
	if _, err := Collect(Source{CgroupRoot: filepath.Join(root, "cg"), ProcRoot: filepath.Join(root, "proc"), Rel: "nope"}); err == nil {
		t.Fatal("no error for a missing cgroup")
	}
}
