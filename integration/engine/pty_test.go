package engine

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
	"github.com/creack/pty"
)

// cliBins are the CLI binaries clis() drives, for tests that need the
// process itself (a pty, signals).
func cliBins(t *testing.T, d *testutil.Daemon) map[string]string {
	m := map[string]string{"berth": filepath.Join(d.Bin, "berth")}
	if p, err := exec.LookPath("docker"); err == nil {
		m["docker"] = p
	}
	return m
}

func cliCmd(d *testutil.Daemon, bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+d.Host, "DOCKER_CONFIG="+filepath.Join(d.Root, "cliconfig"))
	return cmd
}

// ptyProc is a CLI running on a pseudo terminal, as a user typing in a
// terminal would run it.
type ptyProc struct {
	t    *testing.T
	f    *os.File
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan error
	eof  chan struct{} // the terminal's output is drained
}

func startPty(t *testing.T, d *testutil.Daemon, bin string, args ...string) *ptyProc {
	t.Helper()
	cmd := cliCmd(d, bin, args...)
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
	if err != nil {
		t.Fatalf("start %v on a pty: %v", args, err)
	}
	p := &ptyProc{t: t, f: f, cmd: cmd, done: make(chan error, 1), eof: make(chan struct{})}
	go func() {
		defer close(p.eof)
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = f.Close()
	})
	return p
}

func (p *ptyProc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

func (p *ptyProc) send(s string) {
	p.t.Helper()
	if _, err := p.f.WriteString(s); err != nil {
		p.t.Fatalf("write to pty: %v", err)
	}
}

// expect waits until the terminal showed want.
func (p *ptyProc) expect(want string) {
	p.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(p.output(), want) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.t.Fatalf("terminal never showed %q; got:\n%q", want, p.output())
}

// exit waits for the CLI to end and returns its exit code.
func (p *ptyProc) exit() int {
	p.t.Helper()
	select {
	case err := <-p.done:
		select { // its last words may still be in the pty
		case <-p.eof:
		case <-time.After(2 * time.Second):
		}
		return testutil.ExitCode(err)
	case <-time.After(15 * time.Second):
		p.t.Fatalf("CLI did not exit; terminal:\n%q", p.output())
		return -1
	}
}

// lockedBuf collects a process's output written from exec's goroutines.
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
