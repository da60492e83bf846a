package ops

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

func TestStatsUnderLoad(t *testing.T) {
	d := daemon(t)
	gw, _, _ := strings.Cut(d.Subnet, "/")
	// CPU, memory, network (ping of the bridge) and block I/O (direct
	// writes; this kernel's v1 blkio counts bios only on throttled
	// devices, so the container gets a generous write limit).
	dev := rootDevice(t)
	must(t, d.Run, "run", "-d", "--name", "load", "-m", "64m", "--device-write-bps", dev+":500mb", "busybox", "sh", "-c",
		"dd if=/dev/zero of=/data bs=1M count=4 oflag=direct; ping -c 2 -W 1 "+gw+"; while :; do :; done")
	defer d.Run("rm", "-f", "load")
	eventually(t, 15*time.Second, "ping done", func() bool {
		out, _ := d.Run("logs", "load")
		return strings.Contains(out, "packets received")
	})
	api := apiClient(t, d)
	res, err := api.ContainerStats(bg, "load", client.ContainerStatsOptions{IncludePreviousSample: true})
	if err != nil {
		t.Fatal(err)
	}
	var v container.StatsResponse
	err = json.NewDecoder(res.Body).Decode(&v)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	var blkWrite uint64
	for _, b := range v.BlkioStats.IoServiceBytesRecursive {
		if strings.EqualFold(b.Op, "write") {
			blkWrite += b.Value
		}
	}
	checks := map[string]bool{
		"name":               v.Name == "/load" && len(v.ID) == 64,
		"cpu total":          v.CPUStats.CPUUsage.TotalUsage > 0,
		"cpu grows":          v.CPUStats.CPUUsage.TotalUsage > v.PreCPUStats.CPUUsage.TotalUsage && v.PreCPUStats.CPUUsage.TotalUsage > 0,
		"system cpu":         v.CPUStats.SystemUsage > v.PreCPUStats.SystemUsage,
		"online cpus":        v.CPUStats.OnlineCPUs > 0,
		"read after preread": v.Read.After(v.PreRead),
		"memory usage":       v.MemoryStats.Usage > 0,
		"memory limit":       v.MemoryStats.Limit == 64<<20,
		"memory stats":       len(v.MemoryStats.Stats) > 0,
		"pids":               v.PidsStats.Current >= 1,
		"net rx":             v.Networks["eth0"].RxBytes > 0,
		"net tx":             v.Networks["eth0"].TxPackets >= 2,
		"blkio write":        blkWrite >= 4<<20,
	}
	for what, ok := range checks {
		if !ok {
			t.Errorf("%s wrong in %+v", what, v)
		}
	}

	// one-shot: a single sample, no precpu.
	res, err = api.ContainerStats(bg, "load", client.ContainerStatsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var one container.StatsResponse
	_ = json.NewDecoder(res.Body).Decode(&one)
	res.Body.Close()
	if one.CPUStats.CPUUsage.TotalUsage == 0 || one.PreCPUStats.CPUUsage.TotalUsage != 0 || !one.PreRead.IsZero() {
		t.Errorf("one-shot: %+v", one)
	}

	// stream: a sample a second, each carrying the previous as precpu.
	res, err = api.ContainerStats(bg, "load", client.ContainerStatsOptions{Stream: true})
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(res.Body)
	var s1, s2 container.StatsResponse
	start := time.Now()
	if err := dec.Decode(&s1); err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(&s2); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if s2.PreCPUStats.CPUUsage.TotalUsage != s1.CPUStats.CPUUsage.TotalUsage || !s2.PreRead.Equal(s1.Read) || time.Since(start) > 5*time.Second {
		t.Errorf("stream: s1 %v s2 pre %v", s1.CPUStats.CPUUsage.TotalUsage, s2.PreCPUStats.CPUUsage.TotalUsage)
	}

	// Both CLIs render Docker's table; the busy loop shows in CPU %.
	for name, run := range map[string]func(...string) (string, error){"berth": d.Run, "docker": func(a ...string) (string, error) { return d.Docker(t, a...) }} {
		out := must(t, run, "stats", "--no-stream", "load")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O") || !strings.HasSuffix(lines[0], "PIDS") {
			t.Fatalf("%s stats table: %q", name, out)
		}
		f := strings.Fields(lines[1])
		if f[1] != "load" || f[2] == "0.00%" || f[5] != "64MiB" {
			t.Errorf("%s stats row: %q", name, lines[1])
		}
	}
	if out := must(t, d.Run, "stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}} {{.Container}}", "load"); out != "load 1 load\n" {
		t.Errorf("--format: %q", out)
	}
	var js map[string]string
	if err := json.Unmarshal([]byte(must(t, d.Run, "stats", "--no-stream", "--format", "json", "load")), &js); err != nil || js["Name"] != "load" || js["MemUsage"] == "" {
		t.Errorf("--format json: %v %v", err, js)
	}
}

func TestStatsStoppedAndAll(t *testing.T) {
	d := daemon(t)
	must(t, d.Run, "create", "--name", "idle", "busybox", "true")
	defer d.Run("rm", "-f", "idle")
	out := must(t, d.Run, "stats", "--no-stream", "--all", "--format", "{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.PIDs}}")
	if !strings.Contains(out, "idle\t0.00%\t0B / 0B\t0\n") {
		t.Fatalf("stopped container in stats -a: %q", out)
	}
	if out := must(t, d.Run, "stats", "--no-stream", "--format", "{{.Name}}"); strings.Contains(out, "idle") {
		t.Fatalf("stats without -a lists a stopped container: %q", out)
	}
	if out, err := d.Run("stats", "--no-stream", "nosuch"); err == nil || !strings.Contains(out, "No such container: nosuch") {
		t.Fatalf("missing container: %v %q", err, out)
	}
	// A stream on a stopped container opens and stays quiet (Docker).
	api := apiClient(t, d)
	res, err := api.ContainerStats(bg, "idle", client.ContainerStatsOptions{Stream: true})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan int, 1)
	go func() { n, _ := io.ReadFull(res.Body, make([]byte, 1)); got <- n }()
	select {
	case n := <-got:
		t.Fatalf("stream on a stopped container sent %d bytes", n)
	case <-time.After(1500 * time.Millisecond):
	}
	res.Body.Close()
}

// TestStatsStreamFollowsContainers: `stats` without names keeps up with
// containers that start after it, as docker's follows events.
func TestStatsStreamFollowsContainers(t *testing.T) {
	d := daemon(t)
	ctx, cancel := context.WithTimeout(bg, 6*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(d.Bin, "berth"), "stats", "--format", "{{.Name}}")
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+d.Host)
	var out strings.Builder
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	must(t, d.Run, "run", "-d", "--name", "late", "busybox", "sleep", "1d")
	defer d.Run("rm", "-f", "late")
	_ = cmd.Wait()
	if !strings.Contains(out.String(), "late\n") {
		t.Fatalf("a container started after stats did not show: %q", out.String())
	}
}
