package shim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// cliExecutor drives a runc-compatible binary (runc, crun). Processes it
// starts detached are re-parented to this shim, a child subreaper, which
// waits for them.
type cliExecutor struct {
	bin, root, id, bundle string
}

// run executes one runtime command. stdio, when given, is inherited by the
// runtime (and, for create/exec, by the container process), so errors are
// read from the runtime's JSON log file instead of its stderr.
func (e *cliExecutor) run(stdin, stdout, stderr *os.File, args ...string) error {
	logf, err := os.CreateTemp(e.bundle, ".runtime-*.log")
	if err != nil {
		return err
	}
	logPath := logf.Name()
	logf.Close()
	defer os.Remove(logPath)
	full := append([]string{"--root", e.root, "--log", logPath, "--log-format", "json"}, args...)
	cmd := exec.Command(e.bin, full...)
	cmd.Dir = e.bundle
	var out bytes.Buffer
	if stdin != nil {
		cmd.Stdin = stdin
	}
	if stdout != nil {
		cmd.Stdout, cmd.Stderr = stdout, stderr
	} else {
		cmd.Stdout, cmd.Stderr = &out, &out
	}
	if err := cmd.Run(); err != nil {
		if msg := lastLogError(logPath); msg != "" {
			return errors.New(msg)
		}
		if s := strings.TrimSpace(out.String()); s != "" {
			return errors.New(s)
		}
		return fmt.Errorf("%s %s: %w", filepath.Base(e.bin), args[0], err)
	}
	return nil
}

// lastLogError returns the last error-level message of a runtime's JSON log.
func lastLogError(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var msg string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		var rec struct{ Level, Msg string }
		if json.Unmarshal(sc.Bytes(), &rec) == nil && (rec.Level == "error" || rec.Level == "fatal") && rec.Msg != "" {
			msg = rec.Msg
		}
	}
	return msg
}

// consoleListener accepts the runtime's connection on a --console-socket
// and receives the pty master.
type consoleListener struct {
	path string
	l    *net.UnixListener
	ch   chan consoleResult
}

type consoleResult struct {
	f   *os.File
	err error
}

func (e *cliExecutor) listenConsole(name string) (*consoleListener, error) {
	path := filepath.Join(e.bundle, name+".sock")
	_ = os.Remove(path)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, err
	}
	cl := &consoleListener{path: path, l: l, ch: make(chan consoleResult, 1)}
	go func() {
		c, err := l.AcceptUnix()
		if err != nil {
			cl.ch <- consoleResult{err: err}
			return
		}
		defer c.Close()
		f, err := c.File()
		if err != nil {
			cl.ch <- consoleResult{err: err}
			return
		}
		defer f.Close()
		pty, err := recvFile(f)
		cl.ch <- consoleResult{pty, err}
	}()
	return cl, nil
}

func (cl *consoleListener) close() {
	cl.l.Close()
	os.Remove(cl.path)
}

// spawn runs create or exec (detached) and returns the new process's pid.
func (e *cliExecutor) spawn(name string, io procIO, args []string) (int, *os.File, waitFunc, error) {
	pidFile := filepath.Join(e.bundle, name+".pid")
	_ = os.Remove(pidFile)
	defer os.Remove(pidFile)
	args = append(args, "--pid-file", pidFile)
	var cl *consoleListener
	if io.Tty {
		var err error
		if cl, err = e.listenConsole(name + "-console"); err != nil {
			return 0, nil, nil, err
		}
		defer cl.close()
		args = append(args, "--console-socket", cl.path)
	}
	args = append(args, e.id)
	var err error
	if io.Tty {
		err = e.run(nil, nil, nil, args...)
	} else {
		err = e.run(io.Stdin, io.Stdout, io.Stderr, args...)
	}
	if err != nil {
		return 0, nil, nil, err
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return 0, nil, nil, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("bad pid file: %w", err)
	}
	var console *os.File
	if cl != nil {
		r := <-cl.ch
		if r.err != nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			return 0, nil, nil, fmt.Errorf("receiving pty master: %w", r.err)
		}
		console = r.f
	}
	// The runtime has exited, so pid is now our child (we are a subreaper).
	proc, err := os.FindProcess(pid)
	if err != nil {
		return 0, nil, nil, err
	}
	return pid, console, proc.Wait, nil
}

func (e *cliExecutor) Create(spec *specs.Spec, io procIO) (int, *os.File, waitFunc, error) {
	pid, console, wait, err := e.spawn("init", io, []string{"create", "--bundle", e.bundle})
	if err != nil {
		// A failed create can leave state behind.
		_ = e.run(nil, nil, nil, "delete", "--force", e.id)
	}
	return pid, console, wait, err
}

func (e *cliExecutor) Start() error { return e.run(nil, nil, nil, "start", e.id) }

func (e *cliExecutor) Exec(execID string, p *specs.Process, io procIO) (int, *os.File, waitFunc, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return 0, nil, nil, err
	}
	pf := filepath.Join(e.bundle, "exec-"+execID+".json")
	if err := os.WriteFile(pf, b, 0o600); err != nil {
		return 0, nil, nil, err
	}
	defer os.Remove(pf)
	return e.spawn("exec-"+execID, io, []string{"exec", "--process", pf, "--detach"})
}

func (e *cliExecutor) Kill(sig syscall.Signal, all bool) error {
	args := []string{"kill"}
	if all {
		args = append(args, "--all")
	}
	return e.run(nil, nil, nil, append(args, e.id, strconv.Itoa(int(sig)))...)
}

func (e *cliExecutor) Pause() error  { return e.run(nil, nil, nil, "pause", e.id) }
func (e *cliExecutor) Resume() error { return e.run(nil, nil, nil, "resume", e.id) }

func (e *cliExecutor) Update(r *specs.LinuxResources) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(e.bundle, ".update-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		return err
	}
	return e.run(nil, nil, nil, "update", "--resources", f.Name(), e.id)
}

func (e *cliExecutor) Pids() ([]int, error) {
	cmd := exec.Command(e.bin, "--root", e.root, "ps", "--format", "json", e.id)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s ps: %s", filepath.Base(e.bin), strings.TrimSpace(stderr.String()))
	}
	var pids []int
	if err := json.Unmarshal(out, &pids); err != nil {
		return nil, err
	}
	return pids, nil
}

func (e *cliExecutor) Destroy() error { return e.run(nil, nil, nil, "delete", "--force", e.id) }
