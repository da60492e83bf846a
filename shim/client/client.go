// Package client is the daemon's side of the shim: it spawns berth-shim for
// a container and talks to it over the shim's unix socket. The shim owns
// the container's stdio, log and exit status, so the daemon can restart
// and reconnect with Connect.
// (CONTRACT STUB: exported API fixed; bodies to be written.)
package client

import (
	"context"
	"io"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// StartOptions describe the container the shim runs.
type StartOptions struct {
	ShimPath    string // path of the berth-shim binary
	ID          string
	BundleDir   string // holds config.json (the OCI spec); the shim keeps its socket, pid and exit files here
	Runtime     string // "" or "libcontainer" for the embedded one, else a runc-compatible binary path
	RuntimeRoot string // state root for the runtime, e.g. <exec-root>/runtime
	LogPath     string // json-file log; "" disables logging (log driver "none")
	LogMaxSize  int64  // bytes, 0 = unlimited
	LogMaxFile  int    // rotated files kept, >=1
	OpenStdin   bool
	StdinOnce   bool
	Tty         bool
}

// ExitStatus is how the container's init ended.
type ExitStatus struct {
	ExitCode  int
	ExitedAt  time.Time
	OOMKilled bool
	Error     string // set when the process could not be started
}

// Shim is a connection to one container's shim.
type Shim struct{}

// Create spawns the shim, which creates the container (namespaces,
// cgroups, rootfs; the user process not yet exec'd) and returns. The shim
// process is detached (own session) so it outlives the daemon.
func Create(ctx context.Context, opts StartOptions) (*Shim, error) { panic("contract stub") }

// Connect reattaches to a running shim after a daemon restart. It returns
// an error wrapping os.ErrNotExist when the shim is gone; ReadExit then
// tells how the container ended.
func Connect(ctx context.Context, bundleDir string) (*Shim, error) { panic("contract stub") }

// ReadExit reads the exit status the shim recorded in bundleDir.
func ReadExit(bundleDir string) (ExitStatus, error) { panic("contract stub") }

// Pid is the container init's host pid.
func (s *Shim) Pid() int { panic("contract stub") }

// Start execs the user process (after attach streams are connected).
func (s *Shim) Start(ctx context.Context) error { panic("contract stub") }

// Wait blocks until the container exits and output is flushed to the log
// and attached streams. Then the shim cleans up (runtime delete, cgroup)
// and exits.
func (s *Shim) Wait(ctx context.Context) (ExitStatus, error) { panic("contract stub") }

// Kill signals init (or all processes with all=true).
func (s *Shim) Kill(ctx context.Context, sig syscall.Signal, all bool) error { panic("contract stub") }

// AttachOptions select streams; nil fields are not attached. For a TTY
// container everything arrives on Stdout.
type AttachOptions struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// Attach connects streams; the returned channel yields once output ends
// (the container exited and output is drained) or ctx is cancelled.
func (s *Shim) Attach(ctx context.Context, opts AttachOptions) (<-chan error, error) {
	panic("contract stub")
}

// Resize sets the container TTY size.
func (s *Shim) Resize(ctx context.Context, height, width uint16) error { panic("contract stub") }

// ExecOptions describe an exec process's stdio.
type ExecOptions struct {
	Tty           bool
	Stdin         io.Reader // nil: no stdin
	Stdout        io.Writer
	Stderr        io.Writer
	Height, Width uint16
}

// Exec starts p inside the container and returns its host pid; wait blocks
// until it exits and its output is flushed, returning the exit code.
func (s *Shim) Exec(ctx context.Context, execID string, p *specs.Process, opts ExecOptions) (pid int, wait func() (int, error), err error) {
	panic("contract stub")
}

// ResizeExec sets an exec process's TTY size.
func (s *Shim) ResizeExec(ctx context.Context, execID string, height, width uint16) error {
	panic("contract stub")
}

// Pause freezes the container; Resume thaws it.
func (s *Shim) Pause(ctx context.Context) error  { panic("contract stub") }
func (s *Shim) Resume(ctx context.Context) error { panic("contract stub") }

// Update applies new cgroup resources.
func (s *Shim) Update(ctx context.Context, r *specs.LinuxResources) error { panic("contract stub") }

// Pids lists the host pids of the container's processes.
func (s *Shim) Pids(ctx context.Context) ([]int, error) { panic("contract stub") }

// Close drops the connection (the shim keeps running).
func (s *Shim) Close() error { panic("contract stub") }
