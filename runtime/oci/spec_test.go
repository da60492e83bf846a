package oci

import (
	"slices"
	"strings"
	"testing"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func findMount(s *specs.Spec, dest string) *specs.Mount {
	for i := range s.Mounts {
		if s.Mounts[i].Destination == dest {
			return &s.Mounts[i]
		}
	}
	return nil
}

func nsPresent(s *specs.Spec, typ specs.LinuxNamespaceType) (specs.LinuxNamespace, bool) {
	for _, n := range s.Linux.Namespaces {
		if n.Type == typ {
			return n, true
		}
	}
	return specs.LinuxNamespace{}, false
}

// TestGenerateFlags checks one docker run flag per case against the spec
// fields Docker would set.
func TestGenerateFlags(t *testing.T) {
	root := fakeRootfs(t)
	tests := []struct {
		name  string
		edit  func(in *Input)
		check func(t *testing.T, s *specs.Spec)
	}{
		{"defaults", nil, func(t *testing.T, s *specs.Spec) {
			p := s.Process
			if p.Cwd != "/" || p.Terminal || p.NoNewPrivileges || *p.OOMScoreAdj != 0 || p.Rlimits != nil {
				t.Errorf("process: %+v", p)
			}
			if !slices.Equal(p.Capabilities.Bounding, DefaultCapabilities()) || p.Capabilities.Inheritable != nil || p.Capabilities.Ambient != nil {
				t.Errorf("caps: %+v", p.Capabilities)
			}
			if s.Hostname != "0123456789ab" || s.Root.Readonly || s.Linux.CgroupsPath != "/berth/0123456789ab" {
				t.Errorf("spec: %+v", s)
			}
			if m := findMount(s, "/dev/shm"); m == nil || !slices.Contains(m.Options, "size=67108864") {
				t.Errorf("/dev/shm: %+v", m)
			}
			if m := findMount(s, "/etc/hosts"); m == nil || !slices.Equal(m.Options, []string{"rbind", "rprivate"}) || m.Type != "bind" {
				t.Errorf("/etc/hosts: %+v", m)
			}
			if m := findMount(s, "/sys"); !slices.Contains(m.Options, "ro") {
				t.Errorf("/sys not ro: %+v", m)
			}
			if n, ok := nsPresent(s, specs.NetworkNamespace); !ok || n.Path != "/run/berth/netns/0123456789ab" {
				t.Errorf("netns: %+v", n)
			}
			if s.Linux.Seccomp == nil || s.Linux.Seccomp.DefaultAction != specs.ActErrno {
				t.Errorf("seccomp: %+v", s.Linux.Seccomp)
			}
			if !slices.Contains(s.Linux.MaskedPaths, "/proc/kcore") || !slices.Contains(s.Linux.ReadonlyPaths, "/proc/sys") {
				t.Errorf("masked/ro paths: %v %v", s.Linux.MaskedPaths, s.Linux.ReadonlyPaths)
			}
			r := s.Linux.Resources
			if r.Memory == nil || r.Memory.DisableOOMKiller == nil || *r.Memory.DisableOOMKiller || r.Memory.Limit != nil || r.CPU != nil || r.Pids != nil {
				t.Errorf("resources: %+v", r)
			}
			if len(r.Devices) != 8 || r.Devices[0].Allow {
				t.Errorf("device rules: %+v", r.Devices)
			}
			if _, ok := nsPresent(s, specs.CgroupNamespace); ok == !cgroupV2() {
				t.Errorf("cgroupns on v2=%v: %v", cgroupV2(), s.Linux.Namespaces)
			}
		}},
		{"workdir tty console", func(in *Input) {
			in.Config.WorkingDir = "/tmp"
			in.Config.Tty = true
			in.HostConfig.ConsoleSize = [2]uint{24, 80}
		}, func(t *testing.T, s *specs.Spec) {
			if s.Process.Cwd != "/tmp" || !s.Process.Terminal || s.Process.ConsoleSize == nil || *s.Process.ConsoleSize != (specs.Box{Height: 24, Width: 80}) {
				t.Errorf("process: %+v", s.Process)
			}
		}},
		{"user", func(in *Input) { in.Config.User = "alice"; in.HostConfig.GroupAdd = []string{"users"} }, func(t *testing.T, s *specs.Spec) {
			if u := s.Process.User; u.UID != 1000 || !slices.Equal(u.AdditionalGids, []uint32{1000, 29, 50, 100}) {
				t.Errorf("user: %+v", u)
			}
		}},
		{"ulimit", func(in *Input) {
			in.HostConfig.Ulimits = []*container.Ulimit{{Name: "nofile", Soft: 1024, Hard: 2048}}
		}, func(t *testing.T, s *specs.Spec) {
			if !slices.Equal(s.Process.Rlimits, []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 1024, Hard: 2048}}) {
				t.Errorf("rlimits: %+v", s.Process.Rlimits)
			}
		}},
		{"no-new-privileges", func(in *Input) { in.HostConfig.SecurityOpt = []string{"no-new-privileges:true"} }, func(t *testing.T, s *specs.Spec) {
			if !s.Process.NoNewPrivileges {
				t.Error("NoNewPrivileges not set")
			}
		}},
		{"oom-score-adj", func(in *Input) { in.HostConfig.OomScoreAdj = -500 }, func(t *testing.T, s *specs.Spec) {
			if *s.Process.OOMScoreAdj != -500 {
				t.Errorf("oom: %d", *s.Process.OOMScoreAdj)
			}
		}},
		{"cap-add cap-drop", func(in *Input) {
			in.HostConfig.CapAdd = []string{"net_admin", "CAP_SYS_PTRACE"}
			in.HostConfig.CapDrop = []string{"chown", "CAP_KILL"}
		}, func(t *testing.T, s *specs.Spec) {
			c := s.Process.Capabilities.Effective
			if slices.Contains(c, "CAP_CHOWN") || slices.Contains(c, "CAP_KILL") || !slices.Contains(c, "CAP_NET_ADMIN") || !slices.Contains(c, "CAP_SYS_PTRACE") {
				t.Errorf("caps: %v", c)
			}
		}},
		{"cap-drop ALL", func(in *Input) {
			in.HostConfig.CapAdd = []string{"NET_BIND_SERVICE"}
			in.HostConfig.CapDrop = []string{"ALL"}
		}, func(t *testing.T, s *specs.Spec) {
			if !slices.Equal(s.Process.Capabilities.Bounding, []string{"CAP_NET_BIND_SERVICE"}) {
				t.Errorf("caps: %v", s.Process.Capabilities.Bounding)
			}
		}},
		{"cap-add ALL", func(in *Input) { in.HostConfig.CapAdd = []string{"all"}; in.HostConfig.CapDrop = []string{"MKNOD"} }, func(t *testing.T, s *specs.Spec) {
			c := s.Process.Capabilities.Bounding
			if slices.Contains(c, "CAP_MKNOD") || !slices.Contains(c, "CAP_SYS_ADMIN") {
				t.Errorf("caps: %v", c)
			}
		}},
		{"privileged", func(in *Input) { in.HostConfig.Privileged = true }, func(t *testing.T, s *specs.Spec) {
			if !slices.Equal(s.Process.Capabilities.Bounding, AllCapabilities()) || !slices.Contains(s.Process.Capabilities.Bounding, "CAP_SYS_ADMIN") {
				t.Errorf("caps: %v", s.Process.Capabilities.Bounding)
			}
			if s.Linux.Seccomp != nil || s.Linux.MaskedPaths != nil || s.Linux.ReadonlyPaths != nil {
				t.Error("privileged must have no seccomp/masked/readonly paths")
			}
			if slices.Contains(findMount(s, "/sys").Options, "ro") || slices.Contains(findMount(s, "/sys/fs/cgroup").Options, "ro") {
				t.Error("/sys and cgroup must be rw")
			}
			if len(s.Linux.Devices) == 0 || !slices.Equal(s.Linux.Resources.Devices, []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}) {
				t.Errorf("devices: %d, rules %+v", len(s.Linux.Devices), s.Linux.Resources.Devices)
			}
			if _, ok := nsPresent(s, specs.CgroupNamespace); ok && !cgroupV2() {
				t.Error("privileged on v1 keeps the host cgroupns")
			}
		}},
		{"read-only", func(in *Input) { in.HostConfig.ReadonlyRootfs = true }, func(t *testing.T, s *specs.Spec) {
			if !s.Root.Readonly || !slices.Contains(findMount(s, "/etc/hosts").Options, "ro") || slices.Contains(findMount(s, "/dev/shm").Options, "ro") {
				t.Errorf("read-only: root %v mounts %+v", s.Root.Readonly, s.Mounts)
			}
		}},
		{"tmpfs", func(in *Input) {
			in.HostConfig.Tmpfs = map[string]string{"/run": "size=64m,mode=1777", "/run/lock": "exec"}
		}, func(t *testing.T, s *specs.Spec) {
			m := findMount(s, "/run")
			if m == nil || m.Type != "tmpfs" || !slices.Equal(m.Options, []string{"noexec", "nosuid", "nodev", "rprivate", "size=64m", "mode=1777"}) {
				t.Errorf("/run: %+v", m)
			}
			if m := findMount(s, "/run/lock"); !slices.Equal(m.Options, []string{"nosuid", "nodev", "rprivate", "exec"}) {
				t.Errorf("/run/lock: %+v", m)
			}
		}},
		{"init", func(in *Input) { in.HostConfig.Init = ptr(true); in.InitPath = "/usr/libexec/berth-init" }, func(t *testing.T, s *specs.Spec) {
			if !slices.Equal(s.Process.Args, []string{"/sbin/docker-init", "--", "sh"}) {
				t.Errorf("args: %v", s.Process.Args)
			}
			m := findMount(s, "/sbin/docker-init")
			if m == nil || m.Source != "/usr/libexec/berth-init" || !slices.Equal(m.Options, []string{"bind", "ro"}) {
				t.Errorf("init mount: %+v", m)
			}
		}},
		{"init with pid host", func(in *Input) { in.HostConfig.Init = ptr(true); in.HostConfig.PidMode = "host" }, func(t *testing.T, s *specs.Spec) {
			if s.Process.Args[0] != "sh" || findMount(s, "/sbin/docker-init") != nil {
				t.Error("--init must not apply with --pid host")
			}
			if _, ok := nsPresent(s, specs.PIDNamespace); ok {
				t.Error("pid namespace with --pid host")
			}
		}},
		{"host namespaces", func(in *Input) {
			in.HostConfig.NetworkMode = "host"
			in.NetNSPath = ""
			in.HostConfig.IpcMode = "host"
			in.HostConfig.UTSMode = "host"
		}, func(t *testing.T, s *specs.Spec) {
			for _, typ := range []specs.LinuxNamespaceType{specs.NetworkNamespace, specs.IPCNamespace, specs.UTSNamespace} {
				if _, ok := nsPresent(s, typ); ok {
					t.Errorf("%s namespace present", typ)
				}
			}
			if s.Hostname != "" {
				t.Errorf("hostname with --uts host: %q", s.Hostname)
			}
			if _, ok := s.Linux.Sysctl["net.ipv4.ping_group_range"]; ok {
				t.Error("network sysctls with --network host")
			}
		}},
		{"new netns", func(in *Input) { in.NetNSPath = ""; in.HostConfig.NetworkMode = "none" }, func(t *testing.T, s *specs.Spec) {
			if n, ok := nsPresent(s, specs.NetworkNamespace); !ok || n.Path != "" {
				t.Errorf("netns: %+v", n)
			}
		}},
		{"network disabled", func(in *Input) { in.Config.NetworkDisabled = true; in.HostConfig.NetworkMode = "host" }, func(t *testing.T, s *specs.Spec) {
			if n, ok := nsPresent(s, specs.NetworkNamespace); !ok || n.Path != "" {
				t.Errorf("NetworkDisabled must get a new empty netns: %+v", n)
			}
		}},
		{"cgroupns private", func(in *Input) { in.HostConfig.CgroupnsMode = "private" }, func(t *testing.T, s *specs.Spec) {
			if _, ok := nsPresent(s, specs.CgroupNamespace); !ok {
				t.Error("no cgroup namespace")
			}
		}},
		{"ipc none and shm path", func(in *Input) { in.HostConfig.IpcMode = "none"; in.ShmPath = "/x/shm" }, func(t *testing.T, s *specs.Spec) {
			if findMount(s, "/dev/shm") != nil {
				t.Error("/dev/shm with --ipc none")
			}
		}},
		{"shareable shm", func(in *Input) { in.HostConfig.IpcMode = "shareable"; in.ShmPath = "/x/shm" }, func(t *testing.T, s *specs.Spec) {
			m := findMount(s, "/dev/shm")
			if m == nil || m.Type != "bind" || m.Source != "/x/shm" {
				t.Errorf("/dev/shm: %+v", m)
			}
		}},
		{"shm-size", func(in *Input) { in.HostConfig.ShmSize = 1 << 20 }, func(t *testing.T, s *specs.Spec) {
			if !slices.Contains(findMount(s, "/dev/shm").Options, "size=1048576") {
				t.Error("shm size")
			}
		}},
		{"seccomp unconfined", func(in *Input) { in.HostConfig.SecurityOpt = []string{"seccomp=unconfined"} }, func(t *testing.T, s *specs.Spec) {
			if s.Linux.Seccomp != nil {
				t.Error("seccomp set")
			}
		}},
		{"seccomp custom", func(in *Input) {
			in.HostConfig.SecurityOpt = []string{`seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["chmod"],"action":"SCMP_ACT_ERRNO"}]}`}
		}, func(t *testing.T, s *specs.Spec) {
			sc := s.Linux.Seccomp
			if sc == nil || sc.DefaultAction != specs.ActAllow || len(sc.Syscalls) != 1 || sc.Syscalls[0].Names[0] != "chmod" {
				t.Errorf("seccomp: %+v", sc)
			}
		}},
		{"extra mounts sorted", func(in *Input) {
			in.ExtraMounts = []specs.Mount{
				{Destination: "/data/sub", Type: "bind", Source: "/h/b", Options: []string{"rbind"}},
				{Destination: "/data", Type: "bind", Source: "/h/a", Options: []string{"rbind"}},
				{Destination: "/etc/hosts", Type: "bind", Source: "/h/hosts", Options: []string{"rbind", "ro"}},
			}
		}, func(t *testing.T, s *specs.Spec) {
			var order []string
			for _, m := range s.Mounts {
				order = append(order, m.Destination)
			}
			if slices.Index(order, "/data") > slices.Index(order, "/data/sub") {
				t.Errorf("parent after child: %v", order)
			}
			if findMount(s, "/etc/hosts").Source != "/h/hosts" || strings.Count(strings.Join(order, " "), "/etc/hosts") != 1 {
				t.Errorf("user /etc/hosts must replace ours: %v", order)
			}
		}},
		{"user /dev/shm tmpfs replaces default", func(in *Input) { in.HostConfig.Tmpfs = map[string]string{"/dev/shm": "size=1m"} }, func(t *testing.T, s *specs.Spec) {
			n := 0
			for _, m := range s.Mounts {
				if m.Destination == "/dev/shm" {
					n++
					if m.Source != "tmpfs" {
						t.Errorf("wrong /dev/shm: %+v", m)
					}
				}
			}
			if n != 1 {
				t.Errorf("%d /dev/shm mounts", n)
			}
		}},
		{"device", func(in *Input) {
			in.HostConfig.Devices = []container.DeviceMapping{{PathOnHost: "/dev/null", PathInContainer: "/dev/mynull", CgroupPermissions: "rw"}}
		}, func(t *testing.T, s *specs.Spec) {
			if len(s.Linux.Devices) != 1 || s.Linux.Devices[0].Path != "/dev/mynull" || s.Linux.Devices[0].Type != "c" || s.Linux.Devices[0].Major != 1 || s.Linux.Devices[0].Minor != 3 {
				t.Errorf("devices: %+v", s.Linux.Devices)
			}
			last := s.Linux.Resources.Devices[len(s.Linux.Resources.Devices)-1]
			if !last.Allow || last.Access != "rw" || *last.Major != 1 || *last.Minor != 3 {
				t.Errorf("rule: %+v", last)
			}
		}},
		{"device-cgroup-rule", func(in *Input) { in.HostConfig.DeviceCgroupRules = []string{"c 42:* rmw"} }, func(t *testing.T, s *specs.Spec) {
			last := s.Linux.Resources.Devices[len(s.Linux.Resources.Devices)-1]
			if last.Type != "c" || *last.Major != 42 || last.Minor != nil || last.Access != "rmw" {
				t.Errorf("rule: %+v", last)
			}
		}},
		{"sysctls and domainname", func(in *Input) {
			in.Config.Domainname = "example.org"
			in.HostConfig.Sysctls = map[string]string{"net.ipv4.ip_unprivileged_port_start": "1024"}
		}, func(t *testing.T, s *specs.Spec) {
			if s.Linux.Sysctl["kernel.domainname"] != "example.org" || s.Linux.Sysctl["net.ipv4.ip_unprivileged_port_start"] != "1024" {
				t.Errorf("sysctl: %v", s.Linux.Sysctl)
			}
		}},
		{"memory", func(in *Input) { in.HostConfig.Memory = 64 << 20; in.HostConfig.MemoryReservation = 32 << 20 }, func(t *testing.T, s *specs.Spec) {
			m := s.Linux.Resources.Memory
			if *m.Limit != 64<<20 || *m.Reservation != 32<<20 {
				t.Errorf("memory: %+v", m)
			}
			if swapLimitSupported() && (m.Swap == nil || *m.Swap != 128<<20) {
				t.Errorf("default swap must be 2x memory: %+v", m.Swap)
			}
		}},
		{"memory-swap unlimited", func(in *Input) { in.HostConfig.Memory = 64 << 20; in.HostConfig.MemorySwap = -1 }, func(t *testing.T, s *specs.Spec) {
			if s.Linux.Resources.Memory.Swap != nil {
				t.Error("swap set with -1")
			}
		}},
		{"cpus", func(in *Input) { in.HostConfig.NanoCPUs = 1_500_000_000 }, func(t *testing.T, s *specs.Spec) {
			c := s.Linux.Resources.CPU
			if *c.Period != 100000 || *c.Quota != 150000 {
				t.Errorf("cpu: %+v", c)
			}
		}},
		{"cpu shares period quota cpuset", func(in *Input) {
			in.HostConfig.CPUShares = 512
			in.HostConfig.CPUPeriod = 50000
			in.HostConfig.CPUQuota = 25000
			in.HostConfig.CpusetCpus = "0"
			in.HostConfig.CpusetMems = "0"
		}, func(t *testing.T, s *specs.Spec) {
			c := s.Linux.Resources.CPU
			if *c.Shares != 512 || *c.Period != 50000 || *c.Quota != 25000 || c.Cpus != "0" || c.Mems != "0" {
				t.Errorf("cpu: %+v", c)
			}
		}},
		{"pids blkio oom-kill-disable", func(in *Input) {
			in.HostConfig.PidsLimit = ptr(int64(100))
			in.HostConfig.BlkioWeight = 300
			in.HostConfig.OomKillDisable = ptr(true)
		}, func(t *testing.T, s *specs.Spec) {
			r := s.Linux.Resources
			if *r.Pids.Limit != 100 || *r.BlockIO.Weight != 300 || !*r.Memory.DisableOOMKiller {
				t.Errorf("resources: %+v", r)
			}
		}},
		{"pids-limit 0 is unlimited", func(in *Input) { in.HostConfig.PidsLimit = ptr(int64(0)) }, func(t *testing.T, s *specs.Spec) {
			if *s.Linux.Resources.Pids.Limit != -1 {
				t.Error("want -1")
			}
		}},
		{"masked paths override", func(in *Input) {
			in.HostConfig.MaskedPaths = []string{"/proc/x"}
			in.HostConfig.ReadonlyPaths = []string{}
		}, func(t *testing.T, s *specs.Spec) {
			if !slices.Equal(s.Linux.MaskedPaths, []string{"/proc/x"}) || len(s.Linux.ReadonlyPaths) != 0 {
				t.Errorf("%v %v", s.Linux.MaskedPaths, s.Linux.ReadonlyPaths)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := baseInput(t, root)
			if tc.edit != nil {
				tc.edit(&in)
			}
			s, err := Generate(in)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, s)
		})
	}
}

// TestGenerateErrors checks Docker's wording and the InvalidParameter class.
func TestGenerateErrors(t *testing.T) {
	root := fakeRootfs(t)
	tests := []struct {
		name    string
		edit    func(in *Input)
		want    string
		invalid bool
	}{
		{"min memory", func(in *Input) { in.HostConfig.Memory = 1 << 20 }, "Minimum memory limit allowed is 6MB", true},
		{"swap < memory", func(in *Input) { in.HostConfig.Memory = 64 << 20; in.HostConfig.MemorySwap = 32 << 20 }, "Minimum memoryswap limit should be larger than memory limit, see usage", true},
		{"swap without memory", func(in *Input) { in.HostConfig.MemorySwap = 32 << 20 }, "You should always set the Memory limit when using Memoryswap limit, see usage", true},
		{"reservation > memory", func(in *Input) { in.HostConfig.Memory = 8 << 20; in.HostConfig.MemoryReservation = 16 << 20 }, "Minimum memory limit can not be less than memory reservation limit, see usage", true},
		{"cpus and quota", func(in *Input) { in.HostConfig.NanoCPUs = 1e9; in.HostConfig.CPUQuota = 5000 }, "Conflicting options: Nano CPUs and CPU Quota cannot both be set", true},
		{"cpus and period", func(in *Input) { in.HostConfig.NanoCPUs = 1e9; in.HostConfig.CPUPeriod = 5000 }, "Conflicting options: Nano CPUs and CPU Period cannot both be set", true},
		{"too many cpus", func(in *Input) { in.HostConfig.NanoCPUs = 1000e9 }, "range of CPUs is from 0.01 to ", true},
		{"cpu period range", func(in *Input) { in.HostConfig.CPUPeriod = 10 }, "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)", true},
		{"cpuset unavailable", func(in *Input) { in.HostConfig.CpusetCpus = "0-999" }, "Requested CPUs are not available - requested 0-999, available: ", true},
		{"cpuset format", func(in *Input) { in.HostConfig.CpusetCpus = "a" }, "Invalid value a for cpuset cpus", true},
		{"blkio weight", func(in *Input) { in.HostConfig.BlkioWeight = 5 }, "Range of blkio weight is from 10 to 1000", true},
		{"oom score", func(in *Input) { in.HostConfig.OomScoreAdj = 1001 }, "Invalid value 1001, range for oom score adj is [-1000, 1000]", true},
		{"security opt", func(in *Input) { in.HostConfig.SecurityOpt = []string{"bogus"} }, `invalid --security-opt 1: "bogus"`, true},
		{"security opt key", func(in *Input) { in.HostConfig.SecurityOpt = []string{"foo=bar"} }, `invalid --security-opt 2: "foo=bar"`, true},
		{"nnp value", func(in *Input) { in.HostConfig.SecurityOpt = []string{"no-new-privileges=maybe"} }, `invalid --security-opt 2: "no-new-privileges=maybe"`, true},
		{"bad seccomp", func(in *Input) { in.HostConfig.SecurityOpt = []string{"seccomp={"} }, "Decoding seccomp profile failed", true},
		{"unknown cap", func(in *Input) { in.HostConfig.CapAdd = []string{"FOO"} }, `unknown capability: "CAP_FOO"`, true},
		{"ipc mode", func(in *Input) { in.HostConfig.IpcMode = "weird" }, "invalid IPC mode: weird", true},
		{"tmpfs relative", func(in *Input) { in.HostConfig.Tmpfs = map[string]string{"run": ""} }, `invalid mount config for type "tmpfs": invalid mount path: 'run' mount path must be absolute`, true},
		{"tmpfs option", func(in *Input) { in.HostConfig.Tmpfs = map[string]string{"/run": "bogus=1"} }, "invalid tmpfs option", true},
		{"ulimit name", func(in *Input) { in.HostConfig.Ulimits = []*container.Ulimit{{Name: "bogus", Soft: 1, Hard: 1}} }, "invalid ulimit type: bogus", true},
		{"unknown user", func(in *Input) { in.Config.User = "foo" }, "unable to find user foo: no matching entries in passwd file", false},
		{"missing device", func(in *Input) {
			in.HostConfig.Devices = []container.DeviceMapping{{PathOnHost: "/dev/berth-nope", PathInContainer: "/dev/x", CgroupPermissions: "rwm"}}
		}, `error gathering device information while adding custom device "/dev/berth-nope": no such file or directory`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := baseInput(t, root)
			tc.edit(&in)
			_, err := Generate(in)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("err = %v, want prefix %q", err, tc.want)
			}
			if errdefs.IsInvalidParameter(err) != tc.invalid {
				t.Fatalf("InvalidParameter = %v, want %v (%v)", !tc.invalid, tc.invalid, err)
			}
		})
	}
}

func TestGenerateDoesNotMutateInput(t *testing.T) {
	in := baseInput(t, fakeRootfs(t))
	in.HostConfig.Memory = 64 << 20
	if _, err := Generate(in); err != nil {
		t.Fatal(err)
	}
	if in.HostConfig.MemorySwap != 0 || in.HostConfig.ShmSize != 0 || in.HostConfig.OomKillDisable != nil {
		t.Errorf("Generate changed the caller's HostConfig: %+v", in.HostConfig.Resources)
	}
}

func TestResourcesForUpdate(t *testing.T) {
	r, err := Resources(&container.Resources{MemorySwap: 256 << 20, NanoCPUs: 5e8, PidsLimit: ptr(int64(-5))})
	if err != nil {
		t.Fatal(err)
	}
	// Update may set swap without memory (memory is already set).
	if *r.Memory.Swap != 256<<20 || *r.CPU.Quota != 50000 || *r.Pids.Limit != -1 || r.Devices != nil {
		t.Errorf("resources: %+v", r)
	}
	if _, err := Resources(&container.Resources{Memory: 100}); !errdefs.IsInvalidParameter(err) {
		t.Errorf("want InvalidParameter, got %v", err)
	}
}

func TestMergeTmpfsOptions(t *testing.T) {
	tests := []struct {
		in   []string
		want []string
	}{
		{[]string{"noexec", "nosuid", "nodev", "rprivate"}, []string{"noexec", "nosuid", "nodev", "rprivate"}},
		{[]string{"noexec", "nosuid", "rprivate", "exec", "size=1m", "size=2m", "shared"}, []string{"nosuid", "exec", "size=2m", "shared"}},
		{[]string{"defaults", "ro", "rw"}, []string{"rw"}},
	}
	for _, tc := range tests {
		got, err := mergeTmpfsOptions(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("merge(%v) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}
