package lifecycle

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/berth-project/berth/container"
)

// signalGrace is how long after start a signal for the container's init
// may wait for the process to be able to take it.
const signalGrace = 250 * time.Millisecond

// awaitSignalReady holds back a catchable signal sent in the first moments
// after start until the container's init has a handler for it (or the
// grace period since start is over). The kernel drops a signal whose
// disposition is the default when it is sent to a PID namespace's init
// from outside, so a SIGTERM that lands between start returning and the
// program installing its handler (busybox top, shells with traps) is lost
// for good and the container keeps running. Docker gets away with it
// because its kill path (containerd, the shim, a runc process) is slower
// than the program's start-up; berth's is not. Called without c locked.
func awaitSignalReady(c *container.Container, sig syscall.Signal) {
	if sig == syscall.SIGKILL || sig == syscall.SIGSTOP {
		return
	}
	c.Lock()
	pid, started, argv0 := c.State.Pid, c.State.StartedAt, c.Path
	c.Unlock()
	if pid <= 0 {
		return
	}
	deadline := started.Add(signalGrace)
	for time.Now().Before(deadline) {
		// Until the runtime's init has exec'd the command, its own (Go)
		// handlers would swallow the signal.
		if execd(pid, argv0) {
			caught, ok := handlesSignal(pid, sig)
			if !ok || caught {
				return
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// execd reports whether pid runs the container's command already (its
// argv[0] is the command's), or cannot be read.
func execd(pid int, argv0 string) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return true
	}
	first, _, _ := strings.Cut(string(b), "\x00")
	return first == argv0
}

// handlesSignal reports whether pid has a handler installed for sig or
// ignores it; ok is false when the process cannot be read.
func handlesSignal(pid int, sig syscall.Signal) (caught, ok bool) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return false, false
	}
	defer f.Close()
	bit := uint64(1) << (uint(sig) - 1)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		if k != "SigCgt" && k != "SigIgn" {
			continue
		}
		mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		if err != nil {
			return false, false
		}
		if mask&bit != 0 {
			return true, true
		}
	}
	return false, true
}
