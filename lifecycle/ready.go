package lifecycle

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/berth-project/berth/container"
)

// signalGrace is how long after start a signal for the container's init
// may wait for the process to be able to take it.
// A signal that finds no handler in time is sent anyway (and lost, as it
// would be with Docker), so the grace only delays such a kill; it is long
// enough for a program starting on a busy machine.
const signalGrace = time.Second

// execTimeout bounds how long start waits for the runtime's init to exec
// the container's command.
const execTimeout = time.Second

// awaitExec returns once pid runs argv0 (the spec's first argument), has
// exited, or execTimeout passed. The runtime reports a start as soon as
// its init was told to go, a moment before the execve: a client that
// acts on the container right away (docker-py's run then top, a kill)
// would otherwise meet berth-shim's init instead of the command, which
// dockerd's slower start path hides.
func awaitExec(pid int, argv0 string) {
	deadline := time.Now().Add(execTimeout)
	for !execd(pid, argv0) && time.Now().Before(deadline) {
		time.Sleep(200 * time.Microsecond)
	}
}

// execd reports whether pid runs a command whose argv[0] is argv0, or is
// gone (unreadable, or a zombie). An empty cmdline of a live process is
// an execve in progress (the new image has no arguments yet: ps shows
// "[sleep]"), not an exec done.
func execd(pid int, argv0 string) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return true
	}
	if len(b) == 0 {
		return exited(pid)
	}
	first, _, _ := strings.Cut(string(b), "\x00")
	return first == argv0
}

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
	pid, started := c.State.Pid, c.State.StartedAt
	c.Unlock()
	if pid <= 0 {
		return
	}
	deadline := started.Add(signalGrace)
	seen := 0
	for time.Now().Before(deadline) {
		// Start waited for the exec, but /proc can show the new command
		// line a moment before execve resets the old image's handlers:
		// the handler must be there twice, 2ms apart, in a process that
		// is no longer the runtime's init.
		caught, ok := handlesSignal(pid, sig)
		if !ok {
			return
		}
		if caught && !runtimeInit(pid) {
			if seen++; seen == 2 {
				return
			}
		} else {
			seen = 0
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// runtimeInit reports whether pid is still the OCI runtime's own init
// (berth-shim init, runc init, crun) rather than the container's command.
func runtimeInit(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	args := strings.Split(string(b), "\x00")
	switch filepath.Base(args[0]) {
	case "berth-shim", "runc":
		return len(args) > 1 && args[1] == "init"
	case "crun":
		return true
	}
	return false
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

// exited reports whether pid is gone or a zombie (dead, not yet reaped).
func exited(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// The state follows the parenthesised command name, which may itself
	// hold spaces and parentheses.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 || i+2 >= len(b) {
		return true
	}
	switch b[i+2] {
	case 'Z', 'X':
		return true
	}
	return false
}
