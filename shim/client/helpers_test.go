package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var (
	shimBin  string // built in TestMain when root
	rootfs   string
	testRoot string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Getuid() != 0 {
		return m.Run() // integration tests skip themselves
	}
	var err error
	testRoot, err = os.MkdirTemp("", "berth-shim-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(testRoot)
	// Not a parent of the runtime root: libcontainer seals the binary with
	// an overlay over its directory, and overlapping layers make it fall
	// back to copying the binary on every start.
	shimBin = filepath.Join(testRoot, "bin", "berth-shim")
	cmd := exec.Command("go", "build", "-tags", "seccomp", "-o", shimBin, "github.com/berth-project/berth/cmd/berth-shim")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building berth-shim: %v\n%s", err, out)
		return 1
	}
	rootfs = filepath.Join(testRoot, "rootfs")
	if err := makeRootfs(rootfs); err != nil {
		fmt.Fprintln(os.Stderr, "rootfs:", err)
		return 1
	}
	code := m.Run()
	if err := releaseMonitors(10 * time.Second); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	for _, d := range cgroupDirs("berth-test") {
		os.Remove(d)
	}
	return code
}

// makeRootfs builds a busybox rootfs.
func makeRootfs(dir string) error {
	bb, err := exec.LookPath("busybox")
	if err != nil {
		return err
	}
	for _, d := range []string{"bin", "proc", "dev", "sys", "tmp", "etc", "root"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	data, err := os.ReadFile(bb)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "bin/busybox"), data, 0o755); err != nil {
		return err
	}
	for _, a := range []string{"sh", "echo", "cat", "sleep", "true", "false", "tty", "test", "ls", "stty"} {
		if err := os.Symlink("busybox", filepath.Join(dir, "bin", a)); err != nil {
			return err
		}
	}
	return nil
}

// releaseMonitors drops this process's holds and waits for the (idle)
// monitors to exit, as they do when a daemon stops.
func releaseMonitors(d time.Duration) error {
	holdMu.Lock()
	var dirs []string
	for dir := range holds {
		dirs = append(dirs, dir)
	}
	holdMu.Unlock()
	for _, dir := range dirs {
		pid := monitorPid(dir)
		dropHold(dir)
		if pid == 0 {
			continue
		}
		deadline := time.Now().Add(d)
		for syscall.Kill(pid, 0) == nil && !isZombie(pid) {
			if time.Now().After(deadline) {
				return fmt.Errorf("shim monitor %d of %s still running %v after its last hold", pid, dir, d)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return nil
}

func monitorPid(dir string) int {
	b, _ := os.ReadFile(filepath.Join(dir, "monitor.pid"))
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

func isZombie(pid int) bool {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	_, rest, _ := strings.Cut(string(b), ") ")
	return strings.HasPrefix(rest, "Z")
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("needs root: creates containers, cgroups and namespaces")
	}
}

var runtimes = []struct{ name, path, mode string }{
	{"libcontainer-group", "libcontainer", "group"},
	{"libcontainer-single", "libcontainer", "single"},
	{"runc", "/usr/sbin/runc", ""},
	{"crun", "/usr/bin/crun", ""},
}

// forRuntimes runs f as a subtest for every available runtime (the
// embedded one in both shim modes).
func forRuntimes(t *testing.T, f func(t *testing.T, rt string)) {
	needRoot(t)
	for _, rt := range runtimes {
		t.Run(rt.name, func(t *testing.T) {
			if rt.path != "libcontainer" {
				if _, err := os.Stat(rt.path); err != nil {
					t.Skipf("%s not installed", rt.path)
				}
			}
			modeForTest = rt.mode
			f(t, rt.path)
		})
	}
}

// modeForTest is the StartOptions.Mode newCtr uses.
var modeForTest string

var idSeq struct {
	sync.Mutex
	n int
}

type ctr struct {
	id, bundle, log string
	opts            StartOptions
}

// newCtr writes a bundle running args.
func newCtr(t *testing.T, rt string, tty bool, args ...string) *ctr {
	t.Helper()
	idSeq.Lock()
	idSeq.n++
	id := fmt.Sprintf("bt-%d-%d", os.Getpid(), idSeq.n)
	idSeq.Unlock()
	bundle := filepath.Join(testRoot, "bundles", id)
	if err := os.MkdirAll(bundle, 0o700); err != nil {
		t.Fatal(err)
	}
	spec := testSpec(id, args, tty)
	b, _ := json.MarshalIndent(spec, "", " ")
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	c := &ctr{id: id, bundle: bundle, log: filepath.Join(bundle, id+"-json.log")}
	c.opts = StartOptions{
		ShimPath: shimBin, ID: id, BundleDir: bundle, Runtime: rt,
		RuntimeRoot: filepath.Join(testRoot, "runtime"), LogPath: c.log, LogMaxFile: 1, Tty: tty,
		Mode: modeForTest,
	}
	t.Cleanup(func() { checkClean(t, c) })
	return c
}

// checkClean asserts that nothing of the container is left once its shim
// has exited.
func checkClean(t *testing.T, c *ctr) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := os.Stat(filepath.Join(c.bundle, "shim.sock"))
		if os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("shim of %s still running", c.id)
			if s, err := Connect(context.Background(), c.bundle); err == nil {
				s.Kill(context.Background(), 9, true)
				s.Wait(context.Background())
			}
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, p := range cgroupDirs(filepath.Join("berth-test", c.id)) {
		t.Errorf("cgroup %s left behind", p)
	}
	var left []string
	for {
		left = left[:0]
		out, _ := exec.Command("ps", "-eo", "pid,stat,args").Output()
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, c.id) || strings.Contains(l, c.bundle) {
				left = append(left, l)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, l := range left {
		t.Errorf("process left behind: %s", l)
	}
}

func testSpec(id string, args []string, tty bool) *specs.Spec {
	caps := []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHOWN", "CAP_SETUID", "CAP_SETGID"}
	return &specs.Spec{
		Version: "1.0.2", // crun 1.8 rejects newer versions
		Process: &specs.Process{
			Terminal: tty,
			Args:     args,
			Env:      []string{"PATH=/bin", "TERM=xterm"},
			Cwd:      "/",
			Capabilities: &specs.LinuxCapabilities{
				Bounding: caps, Effective: caps, Permitted: caps,
			},
			Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}},
			NoNewPrivileges: true,
		},
		Root:     &specs.Root{Path: rootfs},
		Hostname: "bt",
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		},
		Linux: &specs.Linux{
			CgroupsPath: "/berth-test/" + id,
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.NetworkNamespace}, {Type: specs.IPCNamespace},
				{Type: specs.UTSNamespace}, {Type: specs.MountNamespace},
			},
			Resources:     &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}},
			MaskedPaths:   []string{"/proc/kcore", "/sys/firmware"},
			ReadonlyPaths: []string{"/proc/sys", "/proc/sysrq-trigger"},
		},
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// syncBuf is a goroutine-safe buffer for attach output.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// cgroupDirs lists rel under every mounted hierarchy (v1 and v2).
func cgroupDirs(rel string) []string {
	a, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", rel))
	b, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "*", rel))
	return append(a, b...)
}
