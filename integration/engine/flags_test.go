package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
)

// TestRunSecurityAndResourceFlags checks what each `run` flag does inside
// the container, through both CLIs.
func TestRunSecurityAndResourceFlags(t *testing.T) {
	d := daemon(t)
	dir := t.TempDir()
	profile := filepath.Join(dir, "nomkdir.json")
	if err := os.WriteFile(profile, []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	envFile := filepath.Join(dir, "env")
	if err := os.WriteFile(envFile, []byte("# a comment\nA=1\n\nB=two words\nHOSTVAR_IT\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOSTVAR_IT", "fromhost")
	hostCaps := statusField(t, "/proc/self/status", "CapBnd")

	for name, run := range clis(t, d) {
		t.Run(name, func(t *testing.T) {
			tests := []struct {
				args     []string
				want     []string // substrings of the output
				wantCode int
			}{
				{[]string{"--ulimit", "nofile=1024:2048", "busybox", "sh", "-c", "ulimit -Sn; ulimit -Hn"}, []string{"1024\n2048\n"}, 0},
				{[]string{"--shm-size", "128m", "busybox", "df", "-k", "/dev/shm"}, []string{" 131072 "}, 0},
				{[]string{"--tmpfs", "/run:size=64m,mode=1777", "busybox", "sh", "-c", "grep ' /run ' /proc/mounts; stat -c %a /run"}, []string{"tmpfs /run tmpfs rw,nosuid,nodev,noexec", "size=65536k", "\n1777\n"}, 0},
				{[]string{"--tmpfs", "/run:mode=750,exec", "busybox", "sh", "-c", "grep ' /run ' /proc/mounts; stat -c %a /run"}, []string{"tmpfs /run tmpfs rw,nosuid,nodev,relatime,mode=750", "\n750\n"}, 0},
				{[]string{"--device", "/dev/null:/dev/mynull", "busybox", "sh", "-c", "echo x > /dev/mynull && echo written; stat -c '%t,%T %F' /dev/mynull"}, []string{"written\n1,3 character special file\n"}, 0},
				// /dev/null is in the default device allow list; loop-control is
				// not, so the devices cgroup enforces the permissions given.
				{[]string{"--device", "/dev/loop-control:/dev/lc:r", "busybox", "sh", "-c", "echo x > /dev/lc || echo write-denied"}, []string{"Operation not permitted", "write-denied\n"}, 0},
				{[]string{"--device", "/dev/loop-control:/dev/lc:rw", "busybox", "sh", "-c", "echo x > /dev/lc || echo write-failed"}, []string{"Invalid argument", "write-failed\n"}, 0},
				{[]string{"busybox", "sh", "-c", "ls /dev/lc /dev/loop-control || echo absent"}, []string{"absent\n"}, 0},
				{[]string{"--security-opt", "seccomp=" + profile, "busybox", "sh", "-c", "mkdir /tmp/x || echo denied; touch /tmp/y && echo touched"}, []string{"Operation not permitted", "denied\n", "touched\n"}, 0},
				{[]string{"busybox", "grep", "Seccomp:", "/proc/self/status"}, []string{"Seccomp:\t2\n"}, 0},
				{[]string{"--security-opt", "seccomp=unconfined", "busybox", "grep", "Seccomp:", "/proc/self/status"}, []string{"Seccomp:\t0\n"}, 0},
				{[]string{"busybox", "grep", "NoNewPrivs:", "/proc/self/status"}, []string{"NoNewPrivs:\t0\n"}, 0},
				{[]string{"--security-opt", "no-new-privileges", "busybox", "grep", "NoNewPrivs:", "/proc/self/status"}, []string{"NoNewPrivs:\t1\n"}, 0},
				{[]string{"--security-opt", "no-new-privileges=true", "busybox", "grep", "NoNewPrivs:", "/proc/self/status"}, []string{"NoNewPrivs:\t1\n"}, 0},
				{[]string{"busybox", "sh", "-c", "ip link add bt0 type bridge || echo no-net-admin"}, []string{"no-net-admin\n"}, 0},
				{[]string{"--cap-add", "NET_ADMIN", "busybox", "sh", "-c", "ip link add bt0 type bridge && ip -o link show bt0 | cut -d: -f2"}, []string{" bt0\n"}, 0},
				{[]string{"--privileged", "busybox", "sh", "-c", "grep CapEff: /proc/self/status; ls /dev/kmsg; grep -c . /sys/fs/cgroup/devices/devices.list; ip link add bt0 type bridge && echo bridged"}, []string{"CapEff:\t" + hostCaps + "\n", "/dev/kmsg\n", "bridged\n"}, 0},
				{[]string{"busybox", "ls", "/dev/kmsg"}, nil, 1},
				{[]string{"--env-file", envFile, "busybox", "sh", "-c", `echo "$A|$B|$HOSTVAR_IT"`}, []string{"1|two words|fromhost\n"}, 0},
				{[]string{"-u", "www-data:tty", "busybox", "sh", "-c", "id -u; id -g"}, []string{"33\n5\n"}, 0},
				{[]string{"-u", "www-data", "busybox", "sh", "-c", "id -un; id -gn"}, []string{"www-data\nwww-data\n"}, 0},
				{[]string{"-u", "nobody:nogroup", "busybox", "sh", "-c", "id -u; id -g"}, []string{"65534\n65534\n"}, 0},
				{[]string{"-u", "daemon:5", "busybox", "sh", "-c", "id -u; id -g"}, []string{"1\n5\n"}, 0},
				{[]string{"-u", "nosuchuser", "busybox", "true"}, []string{"unable to find user nosuchuser: no matching entries in passwd file"}, 125},
				{[]string{"-u", "www-data:nosuchgroup", "busybox", "true"}, []string{"unable to find group nosuchgroup: no matching entries in group file"}, 125},
			}
			for _, tt := range tests {
				out, err := run(append([]string{"run", "--rm"}, tt.args...)...)
				if code := testutil.ExitCode(err); code != tt.wantCode {
					t.Errorf("run %v: exit %d, want %d; output:\n%s", tt.args, code, tt.wantCode, out)
					continue
				}
				for _, w := range tt.want {
					if !strings.Contains(out, w) {
						t.Errorf("run %v: output %q lacks %q", tt.args, out, w)
					}
				}
			}
			if out, _ := run("ps", "-aq"); out != "" {
				t.Errorf("run --rm (some failed to start) left containers: %q", out)
			}
		})
	}
}

// statusField reads a "Name:\tvalue" line of a /proc status file.
func statusField(t *testing.T, path, field string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, field+":\t"); ok {
			return v
		}
	}
	t.Fatalf("%s has no %s", path, field)
	return ""
}

// TestRunCgroupFlags reads the limits from the container's cgroup (v1
// hierarchies) on the host.
func TestRunCgroupFlags(t *testing.T) {
	d := daemon(t)
	if _, err := os.Stat("/sys/fs/cgroup/cpu/cpu.shares"); err != nil {
		t.Skip("needs cgroup v1 cpu controller (this test reads v1 files)")
	}
	swap := true
	if _, err := os.Stat("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes"); err != nil {
		swap = false // no swap accounting on this kernel
	}
	for name, run := range clis(t, d) {
		t.Run(name, func(t *testing.T) {
			cname := "cg-" + name
			out, err := run("run", "-d", "--name", cname, "-m", "64m", "--memory-swap", "128m", "--cpus", "1.5", "--cpu-shares", "512", "--cpuset-cpus", "0", "--pids-limit", "42", "busybox", "sleep", "1000")
			if err != nil {
				t.Fatalf("run: %v %s", err, out)
			}
			defer run("rm", "-f", cname)
			id := strings.TrimSpace(out)
			cg := func(ctrl, file string) string {
				b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", ctrl, d.CgroupParent(), id, file))
				if err != nil {
					t.Errorf("read %s: %v", file, err)
				}
				return strings.TrimSpace(string(b))
			}
			want := map[[2]string]string{
				{"memory", "memory.limit_in_bytes"}: "67108864",
				{"cpu", "cpu.cfs_quota_us"}:         "150000",
				{"cpu", "cpu.cfs_period_us"}:        "100000",
				{"cpu", "cpu.shares"}:               "512",
				{"cpuset", "cpuset.cpus"}:           "0",
				{"pids", "pids.max"}:                "42",
			}
			if swap {
				want[[2]string{"memory", "memory.memsw.limit_in_bytes"}] = "134217728"
			}
			for k, v := range want {
				if got := cg(k[0], k[1]); got != v {
					t.Errorf("%s/%s = %q, want %q", k[0], k[1], got, v)
				}
			}
			out, _ = run("inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.CpuShares}} {{.HostConfig.CpusetCpus}}", cname)
			if out != "67108864 134217728 1500000000 512 0\n" {
				t.Errorf("inspect HostConfig: %q", out)
			}
			// The process sees its cpuset.
			out, err = run("exec", cname, "grep", "Cpus_allowed_list:", "/proc/self/status")
			if err != nil || out != "Cpus_allowed_list:\t0\n" {
				t.Errorf("cpuset inside: %v %q", err, out)
			}
		})
	}
}

// TestStopSignalAndTimeout: stop sends --stop-signal and waits
// --stop-timeout before SIGKILL.
func TestStopSignalAndTimeout(t *testing.T) {
	d := daemon(t)
	for name, run := range clis(t, d) {
		t.Run(name, func(t *testing.T) {
			cname := "stopsig-" + name
			out, err := run("run", "-d", "--name", cname, "--stop-signal", "SIGUSR1", "--stop-timeout", "20", "busybox", "sh", "-c", `trap "echo got-usr1; exit 7" USR1; echo ready; while true; do sleep 0.1; done`)
			if err != nil {
				t.Fatalf("run: %v %s", err, out)
			}
			defer run("rm", "-f", cname)
			waitFor(t, func() bool { o, _ := run("logs", cname); return o == "ready\n" })
			out, _ = run("inspect", "-f", "{{.Config.StopSignal}} {{.Config.StopTimeout}}", cname)
			if out != "SIGUSR1 20\n" {
				t.Errorf("inspect stop settings: %q", out)
			}
			if out, err := run("stop", cname); err != nil {
				t.Fatalf("stop: %v %s", err, out)
			}
			out, _ = run("inspect", "-f", "{{.State.ExitCode}}", cname)
			logs, _ := run("logs", cname)
			if out != "7\n" || logs != "ready\ngot-usr1\n" {
				t.Errorf("stop with SIGUSR1: exit %q, logs %q", out, logs)
			}

			// A container that ignores its stop signal is killed after
			// --stop-timeout seconds.
			cname2 := cname + "-ign"
			out, err = run("run", "-d", "--name", cname2, "--stop-signal", "USR2", "--stop-timeout", "1", "busybox", "sh", "-c", `trap "" USR2; echo ready; while true; do sleep 0.1; done`)
			if err != nil {
				t.Fatalf("run: %v %s", err, out)
			}
			defer run("rm", "-f", cname2)
			waitFor(t, func() bool { o, _ := run("logs", cname2); return o == "ready\n" })
			start := time.Now()
			if out, err := run("stop", cname2); err != nil {
				t.Fatalf("stop: %v %s", err, out)
			}
			took := time.Since(start)
			out, _ = run("inspect", "-f", "{{.State.ExitCode}}", cname2)
			if out != "137\n" || took < time.Second || took > 8*time.Second {
				t.Errorf("stop of a container ignoring USR2 with --stop-timeout 1: exit %q after %v", out, took)
			}
		})
	}
}
