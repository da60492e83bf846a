package ops

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
)

func cgroupFile(t *testing.T, ctrl, parent, id, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", ctrl, parent, id, file))
	if err != nil {
		t.Fatalf("read %s/%s: %v", ctrl, file, err)
	}
	return strings.TrimSpace(string(b))
}

func TestResourcesAppliedLive(t *testing.T) {
	d := daemon(t)
	if _, err := os.Stat("/sys/fs/cgroup/cpu/cpu.shares"); err != nil {
		t.Skip("reads cgroup v1 files")
	}
	dev := rootDevice(t)
	out := must(t, d.Run, "run", "-d", "--name", "res", "-m", "64m", "--memory-reservation", "32m",
		"--cpu-shares", "256", "--cpu-period", "50000", "--cpu-quota", "25000", "--blkio-weight", "300",
		"--device-read-bps", dev+":1mb", "--device-write-iops", dev+":100", "--pids-limit", "20",
		"--oom-score-adj", "300", "--ulimit", "nofile=512:1024", "busybox", "sleep", "1d")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	id := lines[len(lines)-1]
	if !blkioWeightFile() && !strings.Contains(out, "WARNING: Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.") {
		t.Errorf("no warning for the discarded blkio weight: %q", out)
	}
	defer d.Run("rm", "-f", "res")
	p := d.CgroupParent()
	want := map[[2]string]string{
		{"memory", "memory.limit_in_bytes"}:      "67108864",
		{"memory", "memory.soft_limit_in_bytes"}: "33554432",
		{"cpu", "cpu.shares"}:                    "256",
		{"cpu", "cpu.cfs_period_us"}:             "50000",
		{"cpu", "cpu.cfs_quota_us"}:              "25000",
		{"pids", "pids.max"}:                     "20",
	}
	for k, v := range want {
		if got := cgroupFile(t, k[0], p, id, k[1]); got != v {
			t.Errorf("%s = %q, want %q", k[1], got, v)
		}
	}
	if got := cgroupFile(t, "blkio", p, id, "blkio.throttle.read_bps_device"); !strings.HasSuffix(got, " 1048576") {
		t.Errorf("read_bps_device = %q", got)
	}
	if got := cgroupFile(t, "blkio", p, id, "blkio.throttle.write_iops_device"); !strings.HasSuffix(got, " 100") {
		t.Errorf("write_iops_device = %q", got)
	}
	// This kernel has no proportional blkio weight: Docker discards it
	// with a warning, and so do we.
	if got := inspect(t, d, "res")["HostConfig"].(map[string]any)["BlkioWeight"].(float64); blkioWeightFile() && got != 300 || !blkioWeightFile() && got != 0 {
		t.Errorf("BlkioWeight in inspect: %v", got)
	}
	if out := must(t, d.Run, "exec", "res", "sh", "-c", "cat /proc/self/oom_score_adj; ulimit -n; ulimit -Hn"); out != "300\n512\n1024\n" {
		t.Errorf("oom_score_adj/ulimit inside: %q", out)
	}

	// update applies at once, in the cgroup and in inspect.
	must(t, d.Run, "update", "-m", "96m", "--cpu-shares", "512", "--cpu-quota", "40000", "--pids-limit", "30", "--memory-reservation", "48m", "res")
	want = map[[2]string]string{
		{"memory", "memory.limit_in_bytes"}:      "100663296",
		{"memory", "memory.soft_limit_in_bytes"}: "50331648",
		{"cpu", "cpu.shares"}:                    "512",
		{"cpu", "cpu.cfs_quota_us"}:              "40000",
		{"pids", "pids.max"}:                     "30",
	}
	for k, v := range want {
		if got := cgroupFile(t, k[0], p, id, k[1]); got != v {
			t.Errorf("after update %s = %q, want %q", k[1], got, v)
		}
	}
	if out := must(t, d.Run, "inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.CpuShares}} {{.HostConfig.CpuQuota}} {{.HostConfig.PidsLimit}}", "res"); out != "100663296 512 40000 30\n" {
		t.Errorf("inspect after update: %q", out)
	}
	// Docker's update errors.
	for args, msg := range map[string]string{
		"-m 300m":  "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time",
		"--cpus 1": "Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set",
		"-m 4m":    "Minimum memory limit allowed is 6MB",
	} {
		out, err := d.Run(append(append([]string{"update"}, strings.Fields(args)...), "res")...)
		if err == nil || !strings.Contains(out, msg) {
			t.Errorf("update %s: %v %q, want %q", args, err, out, msg)
		}
	}
	// Create-time minimums, nothing created.
	for args, msg := range map[string]string{
		"-m 4m":                   "Minimum memory limit allowed is 6MB",
		"--memory-reservation 1m": "Minimum memory reservation allowed is 6MB",
		"--cpu-period 100":        "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)",
		"--oom-score-adj 2000":    "Invalid value 2000, range for oom score adj is [-1000, 1000]",
	} {
		out, err := d.Run(append(append([]string{"create", "--name", "badres"}, strings.Fields(args)...), "busybox", "true")...)
		if err == nil || !strings.Contains(out, msg) {
			t.Errorf("create %s: %v %q, want %q", args, err, out, msg)
		}
	}
	if out, _ := d.Run("ps", "-aq", "--filter", "name=badres"); out != "" {
		t.Errorf("rejected creates left %q", out)
	}
}

func TestOOMKilled(t *testing.T) {
	d := daemon(t)
	since := itoa64(time.Now().Add(-time.Second).Unix())
	out, err := d.Run("run", "--name", "oom", "-m", "8m", "--memory-swap", "8m", "busybox", "sh", "-c", "x=a; while :; do x=$x$x; done")
	defer d.Run("rm", "-f", "oom")
	if testutilExit(err) != 137 {
		t.Fatalf("exit %v %q, want 137", err, out)
	}
	if out := must(t, d.Run, "inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}}", "oom"); out != "true 137\n" {
		t.Fatalf("state: %q", out)
	}
	ev := must(t, d.Run, "events", "--since", since, "--until", itoa64(time.Now().Unix()+1), "--filter", "container=oom", "--format", "{{.Action}}")
	if !strings.Contains(ev, "oom\ndie\n") {
		t.Fatalf("events: %q", ev)
	}
}

func blkioWeightFile() bool {
	for _, f := range []string{"blkio.weight", "blkio.bfq.weight"} {
		if _, err := os.Stat(filepath.Join("/sys/fs/cgroup/blkio", f)); err == nil {
			return true
		}
	}
	return false
}

// TestCPURealtime: the daemon's --cpu-rt-runtime gives the parent cgroup
// a budget a container's --cpu-rt-runtime (with sys_nice and rtprio) can
// take from.
func TestCPURealtime(t *testing.T) {
	if _, err := os.Stat("/sys/fs/cgroup/cpu/cpu.rt_runtime_us"); err != nil {
		t.Skip("no RT group scheduling")
	}
	// A small budget: other daemons on this host may hold some too.
	d := testutil.StartDaemon(t, "--cpu-rt-runtime", "20000")
	d.LoadBusybox(t)
	if got := strings.TrimSpace(readFile(t, filepath.Join("/sys/fs/cgroup/cpu", d.CgroupParent(), "cpu.rt_runtime_us"))); got != "20000" {
		t.Fatalf("parent rt runtime: %q", got)
	}
	args := []string{"run", "-d", "--cpu-rt-runtime", "10000", "--cap-add", "sys_nice"}
	if hasCapSysResource() {
		// Raising RLIMIT_RTPRIO above the host's hard limit needs
		// CAP_SYS_RESOURCE, which some sandboxes (this one) withhold.
		args = append(args, "--ulimit", "rtprio=99")
	}
	id := strings.TrimSpace(must(t, d.Run, append(args, "busybox", "sleep", "1d")...))
	defer d.Run("rm", "-f", id)
	if got := cgroupFile(t, "cpu", d.CgroupParent(), id, "cpu.rt_runtime_us"); got != "10000" {
		t.Fatalf("container rt runtime: %q", got)
	}
	must(t, d.Run, "update", "--cpu-rt-runtime", "5000", id)
	if got := cgroupFile(t, "cpu", d.CgroupParent(), id, "cpu.rt_runtime_us"); got != "5000" {
		t.Fatalf("after update: %q", got)
	}
	if out := must(t, d.Run, "inspect", "-f", "{{.HostConfig.CPURealtimeRuntime}}", id); out != "5000\n" {
		t.Fatalf("inspect: %q", out)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func hasCapSysResource() bool {
	for _, l := range strings.Split(readFileOr("/proc/self/status"), "\n") {
		if v, ok := strings.CutPrefix(l, "CapEff:\t"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && n&(1<<24) != 0
		}
	}
	return false
}

func readFileOr(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}
