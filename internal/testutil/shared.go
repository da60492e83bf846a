package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
)

// Shared is the one daemon an integration test package shares between its
// tests: started on first use (with busybox loaded when Busybox is set),
// stopped and checked for leaks by Main. Tests remove what they create.
type Shared struct {
	Busybox bool
	Args    []string // extra daemon flags

	once sync.Once
	d    *Daemon
}

// Get returns the shared daemon, starting it on first use.
func (s *Shared) Get(t *testing.T) *Daemon {
	t.Helper()
	RequireRoot(t)
	s.once.Do(func() {
		s.d = Start(t, s.Args...)
		if s.Busybox {
			s.d.LoadBusybox(t)
		}
	})
	if s.d == nil {
		t.Fatal("shared daemon failed to start")
	}
	return s.d
}

// Main runs the package's tests, then stops the daemon (a failed stop or a
// leak fails the run), removes the test binaries and exits. Call it from
// TestMain.
func (s *Shared) Main(m *testing.M) {
	code := m.Run()
	if s.d != nil {
		if err := s.d.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	RemoveBinaries()
	os.Exit(code)
}

// CLI runs one docker-compatible CLI against a daemon.
type CLI = func(args ...string) (string, error)

// CLIs returns our CLI and, when installed, the official docker CLI, so a
// test can run each step through both.
func CLIs(d *Daemon) map[string]CLI {
	m := map[string]CLI{"berth": d.Run}
	if p, err := exec.LookPath("docker"); err == nil {
		m["docker"] = func(args ...string) (string, error) { return d.RunCLI(p, args...) }
	}
	return m
}
