package client

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// procField reads "Key:" from /proc/pid/status.
func procField(pid int, key string) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, key+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// limits is the soft and hard open-file limit of pid.
func limits(pid int) []string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/limits")
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 4 && strings.HasPrefix(l, "Max open files") {
			return f[3:5]
		}
	}
	return nil
}

func fdCount(pid int) int {
	e, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	return len(e)
}

// TestGroupMonitor checks that one monitor serves several containers as
// their parent, and that containers coming and going leave no fds,
// threads or processes behind in it.
func TestGroupMonitor(t *testing.T) {
	needRoot(t)
	modeForTest = "group"
	var sleepers []*Shim
	var dir string
	for i := 0; i < 3; i++ {
		c := newCtr(t, "libcontainer", i == 2, "sleep", "100")
		dir = monitorDir(c.opts)
		s := mustCreate(t, c)
		sleepers = append(sleepers, s)
		if err := s.Start(ctx(t)); err != nil {
			t.Fatal(err)
		}
	}
	mpid := monitorPid(dir)
	if mpid == 0 {
		t.Fatal("no monitor pid file")
	}
	for _, s := range sleepers {
		b, _ := os.ReadFile(filepath.Join(s.bundle, "shim.pid"))
		if strings.TrimSpace(string(b)) != strconv.Itoa(mpid) {
			t.Fatalf("container served by %s, monitor is %d", b, mpid)
		}
		if pp := procField(s.Pid(), "PPid"); pp != strconv.Itoa(mpid) {
			t.Fatalf("init %d has parent %s, want the monitor %d", s.Pid(), pp, mpid)
		}
	}
	// The runtime's record names the real bundle, not the monitor's cwd.
	st, _ := os.ReadFile(filepath.Join(testRoot, "runtime", filepath.Base(sleepers[0].bundle), "state.json"))
	if !strings.Contains(string(st), `"bundle=`+sleepers[0].bundle+`"`) {
		t.Errorf("state.json lacks the bundle label: %.300s", st)
	}
	// The monitor may hold many fds (its soft limit is raised to at least
	// its hard one); a container without rlimits in its spec still gets
	// the limit any child of ours gets, as with a single-container shim.
	if lim := limits(mpid); len(lim) < 2 || lim[0] != lim[1] {
		t.Errorf("monitor open-file limits (soft, hard) %v", lim)
	}
	c := newCtr(t, "libcontainer", false, "sleep", "100")
	spec := testSpec(c.id, []string{"sleep", "100"}, false)
	spec.Process.Rlimits = nil
	b, _ := json.Marshal(spec)
	if err := os.WriteFile(filepath.Join(c.bundle, "config.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	s := mustCreate(t, c)
	sleepers = append(sleepers, s)
	want, _ := exec.Command("sh", "-c", "ulimit -n").Output()
	if got := limits(s.Pid()); len(got) == 0 || got[0] != strings.TrimSpace(string(want)) {
		t.Errorf("container open-file limits %v, want soft %s", got, want)
	}
	// Warm up once, then measure: fds and threads must not grow with the
	// number of containers that have come and gone.
	run := func() {
		c := newCtr(t, "libcontainer", false, "sh", "-c", "echo x")
		if st, out, _ := runAttached(t, c, ""); st.ExitCode != 0 || out != "x\n" {
			t.Fatalf("exit %d out %q", st.ExitCode, out)
		}
	}
	run()
	time.Sleep(200 * time.Millisecond)
	fds0 := fdCount(mpid)
	for i := 0; i < 15; i++ {
		run()
	}
	for _, s := range sleepers {
		if err := s.Kill(ctx(t), syscall.SIGKILL, true); err != nil {
			t.Fatal(err)
		}
		if st, err := s.Wait(ctx(t)); err != nil || st.ExitCode != 137 {
			t.Fatalf("wait %+v %v", st, err)
		}
	}
	// Sockets of the finished containers close a moment after Wait.
	deadline := time.Now().Add(5 * time.Second)
	for fdCount(mpid) > fds0-4 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	// 4 sleepers held 2 fds (socket listener, stdio or pty) each at least.
	if n := fdCount(mpid); n > fds0-4 {
		t.Errorf("monitor fds: %d with 4 containers, %d with none", fds0, n)
	}
	threads, _ := strconv.Atoi(procField(mpid, "Threads"))
	t.Logf("monitor: %d threads, VmRSS %s after 19 containers", threads, procField(mpid, "VmRSS"))
	if threads > 12 {
		t.Errorf("monitor has %d threads", threads)
	}
}

// TestMonitorLifetime checks that an idle monitor exits once nobody holds
// it, and that the next create starts a new one.
func TestMonitorLifetime(t *testing.T) {
	needRoot(t)
	modeForTest = "group"
	c := newCtr(t, "libcontainer", false, "true")
	if st, _, _ := runAttached(t, c, ""); st.ExitCode != 0 {
		t.Fatalf("exit %d", st.ExitCode)
	}
	dir := monitorDir(c.opts)
	pid := monitorPid(dir)
	if err := releaseMonitors(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "monitor.pid")); !os.IsNotExist(err) {
		t.Fatalf("monitor.pid after exit: %v", err)
	}
	c2 := newCtr(t, "libcontainer", false, "sh", "-c", "exit 3")
	if st, _, _ := runAttached(t, c2, ""); st.ExitCode != 3 {
		t.Fatalf("exit %d", st.ExitCode)
	}
	if p2 := monitorPid(dir); p2 == 0 || p2 == pid {
		t.Fatalf("new monitor pid %d, old %d", p2, pid)
	}
}
