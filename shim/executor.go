package shim

import (
	"fmt"
	"os"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// procIO is the container side of a process's stdio. With Tty the runtime
// allocates a pty inside the container and hands back its master instead.
type procIO struct {
	Tty                   bool
	Stdin, Stdout, Stderr *os.File // nil Stdin: /dev/null
	Height, Width         uint16
}

// waitFunc blocks until a process exits.
type waitFunc func() (*os.ProcessState, error)

// executor is one OCI runtime driving one container: the embedded
// libcontainer or a runc-compatible CLI.
type executor interface {
	// Create sets the container up with init waiting before the user
	// process; it returns init's pid, the pty master for Tty, and how to
	// wait for init.
	Create(spec *specs.Spec, io procIO) (pid int, console *os.File, wait waitFunc, err error)
	// Start execs the user process.
	Start() error
	// Exec runs p inside the running container.
	Exec(execID string, p *specs.Process, io procIO) (pid int, console *os.File, wait waitFunc, err error)
	Kill(sig syscall.Signal, all bool) error
	Pause() error
	Resume() error
	Update(r *specs.LinuxResources) error
	Pids() ([]int, error)
	// Destroy removes the runtime's state and cgroups after init exited.
	Destroy() error
}

func newExecutor(runtime, root, id, bundle string) executor {
	if runtime == "" || runtime == "libcontainer" {
		return &libctExecutor{root: root, id: id, bundle: bundle}
	}
	return &cliExecutor{bin: runtime, root: root, id: id, bundle: bundle}
}

// exitCode turns a wait status into Docker's exit code: the status, or
// 128+signal.
func exitCode(st *os.ProcessState) int {
	if st == nil {
		return 255
	}
	ws, ok := st.Sys().(syscall.WaitStatus)
	if !ok {
		return st.ExitCode()
	}
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// cleanErr strips the wrapping a runtime puts around the root cause so the
// daemon sees e.g. `exec: "foo": executable file not found in $PATH` as
// the tail of the message (it matches on that text).
func cleanErr(msg string) string {
	return strings.TrimSpace(msg)
}

func errorf(format string, a ...any) error { return fmt.Errorf(format, a...) }
