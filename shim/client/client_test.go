package client

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// runAttached creates c, attaches, starts and waits.
func runAttached(t *testing.T, c *ctr, stdin string) (ExitStatus, string, string) {
	t.Helper()
	s := mustCreate(t, c)
	defer s.Close()
	var stdout, stderr syncBuf
	ao := AttachOptions{Stdout: &stdout, Stderr: &stderr}
	if stdin != "" {
		ao.Stdin = strings.NewReader(stdin)
	}
	done, err := s.Attach(ctx(t), ao)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx(t)); err != nil {
		t.Fatal(err)
	}
	st, err := s.Wait(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("attach: %v", err)
	}
	return st, stdout.String(), stderr.String()
}

func TestEchoAttachAndLog(t *testing.T) {
	forRuntimes(t, func(t *testing.T, rt string) {
		c := newCtr(t, rt, false, "sh", "-c", "echo hi; echo oops >&2")
		st, out, errOut := runAttached(t, c, "")
		if st.ExitCode != 0 || out != "hi\n" || errOut != "oops\n" {
			t.Fatalf("exit %d stdout %q stderr %q", st.ExitCode, out, errOut)
		}
		if st.ExitedAt.IsZero() || time.Since(st.ExitedAt) > time.Minute {
			t.Fatalf("bad ExitedAt %v", st.ExitedAt)
		}
		b, err := os.ReadFile(c.log)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`"log":"hi\n","stream":"stdout"`, `"log":"oops\n","stream":"stderr"`} {
			if !strings.Contains(string(b), want) {
				t.Fatalf("log lacks %s:\n%s", want, b)
			}
		}
		// exit.json is there for a daemon that restarts later.
		if e, err := ReadExit(c.bundle); err != nil || e.ExitCode != 0 {
			t.Fatalf("ReadExit %+v %v", e, err)
		}
	})
}

func TestExitCode(t *testing.T) {
	forRuntimes(t, func(t *testing.T, rt string) {
		c := newCtr(t, rt, false, "sh", "-c", "exit 3")
		if st, _, _ := runAttached(t, c, ""); st.ExitCode != 3 {
			t.Fatalf("exit %d, want 3", st.ExitCode)
		}
	})
}

func TestStdinOnce(t *testing.T) {
	forRuntimes(t, func(t *testing.T, rt string) {
		c := newCtr(t, rt, false, "cat")
		c.opts.OpenStdin, c.opts.StdinOnce = true, true
		st, out, _ := runAttached(t, c, "hello stdin\n")
		if st.ExitCode != 0 || out != "hello stdin\n" {
			t.Fatalf("exit %d out %q", st.ExitCode, out)
		}
	})
}

func TestTTY(t *testing.T) {
	forRuntimes(t, func(t *testing.T, rt string) {
		c := newCtr(t, rt, true, "sh", "-c", "test -t 0 && test -t 1 && echo tty-ok")
		st, out, errOut := runAttached(t, c, "")
		if st.ExitCode != 0 || !strings.Contains(out, "tty-ok") || errOut != "" {
			t.Fatalf("exit %d out %q err %q", st.ExitCode, out, errOut)
		}
	})
}

func TestKill(t *testing.T) {
	forRuntimes(t, func(t *testing.T, rt string) {
		c := newCtr(t, rt, false, "sleep", "100")
		s := mustCreate(t, c)
		if err := s.Start(ctx(t)); err != nil {
			t.Fatal(err)
		}
		pids, err := s.Pids(ctx(t))
		if err != nil || len(pids) != 1 || pids[0] != s.Pid() {
			t.Fatalf("pids %v (init %d) err %v", pids, s.Pid(), err)
		}
		if err := s.Kill(ctx(t), syscall.SIGKILL, false); err != nil {
			t.Fatal(err)
		}
		st, err := s.Wait(ctx(t))
		if err != nil || st.ExitCode != 137 {
			t.Fatalf("exit %+v err %v, want 137", st, err)
		}
	})
}

func TestExec(t *testing.T) {
	forRuntimes(t, func(t *testing.T, rt string) {
		c := newCtr(t, rt, false, "sleep", "100")
		s := mustCreate(t, c)
		defer func() {
			s.Kill(ctx(t), syscall.SIGKILL, true)
			s.Wait(ctx(t))
		}()
		if err := s.Start(ctx(t)); err != nil {
			t.Fatal(err)
		}
		proc := func(args ...string) *specs.Process {
			return &specs.Process{Args: args, Env: []string{"PATH=/bin"}, Cwd: "/"}
		}
		var out, errOut syncBuf
		pid, wait, err := s.Exec(ctx(t), "e1", proc("sh", "-c", "echo out; cat; echo err >&2; exit 5"),
			ExecOptions{Stdin: strings.NewReader("in\n"), Stdout: &out, Stderr: &errOut})
		if err != nil {
			t.Fatal(err)
		}
		code, err := wait()
		if err != nil || code != 5 || pid <= 0 {
			t.Fatalf("exec code %d pid %d err %v", code, pid, err)
		}
		if out.String() != "out\nin\n" || errOut.String() != "err\n" {
			t.Fatalf("exec stdout %q stderr %q", out.String(), errOut.String())
		}
		// TTY exec.
		var tout syncBuf
		_, wait, err = s.Exec(ctx(t), "e2", proc("sh", "-c", "test -t 1 && echo exec-tty"), ExecOptions{Tty: true, Stdout: &tout, Height: 30, Width: 100})
		if err != nil {
			t.Fatal(err)
		}
		if code, err := wait(); err != nil || code != 0 || !strings.Contains(tout.String(), "exec-tty") {
			t.Fatalf("tty exec code %d err %v out %q", code, err, tout.String())
		}
		// A missing binary reports the runtime's error text.
		_, _, err = s.Exec(ctx(t), "e3", proc("nonexistent-bt"), ExecOptions{Stdout: &out})
		if err == nil || !strings.Contains(err.Error(), "nonexistent-bt") || !strings.Contains(err.Error(), "not found") {
			t.Fatalf("missing exec binary: %v", err)
		}
		t.Logf("missing exec binary error: %v", err)
	})
}

func TestCreateError(t *testing.T) {
	forRuntimes(t, func(t *testing.T, rt string) {
		c := newCtr(t, rt, false, "foo")
		_, err := Create(ctx(t), c.opts)
		skipUnsupported(t, err)
		if err == nil || !strings.Contains(err.Error(), "foo") || !strings.Contains(err.Error(), "not found") {
			t.Fatalf("create of missing binary: %v", err)
		}
		t.Logf("runtime error: %v", err)
	})
}

func TestDaemonRestart(t *testing.T) {
	forRuntimes(t, func(t *testing.T, rt string) {
		c := newCtr(t, rt, false, "sh", "-c", "sleep 1; echo late; exit 7")
		s := mustCreate(t, c)
		if err := s.Start(ctx(t)); err != nil {
			t.Fatal(err)
		}
		pid := s.Pid()
		s.Close()
		s2, err := Connect(ctx(t), c.bundle)
		if err != nil {
			t.Fatal(err)
		}
		if s2.Pid() != pid {
			t.Fatalf("reconnected pid %d, want %d", s2.Pid(), pid)
		}
		st, err := s2.Wait(ctx(t))
		if err != nil || st.ExitCode != 7 {
			t.Fatalf("wait after reconnect %+v %v", st, err)
		}
		// Once the shim is gone: ErrNotExist, and the record on disk.
		deadline := time.Now().Add(5 * time.Second)
		for {
			_, err = Connect(ctx(t), c.bundle)
			if err != nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("Connect to finished shim: %v", err)
		}
		if e, err := ReadExit(c.bundle); err != nil || e.ExitCode != 7 {
			t.Fatalf("ReadExit %+v %v", e, err)
		}
		// Wait on a finished shim falls back to exit.json.
		if st, err := s2.Wait(ctx(t)); err != nil || st.ExitCode != 7 {
			t.Fatalf("late Wait %+v %v", st, err)
		}
		if b, _ := os.ReadFile(c.log); !strings.Contains(string(b), "late") {
			t.Fatalf("log lacks output: %s", b)
		}
	})
}

func TestPauseResumeUpdate(t *testing.T) {
	forRuntimes(t, func(t *testing.T, rt string) {
		c := newCtr(t, rt, false, "sleep", "100")
		s := mustCreate(t, c)
		defer func() {
			s.Kill(ctx(t), syscall.SIGKILL, true)
			s.Wait(ctx(t))
		}()
		if err := s.Start(ctx(t)); err != nil {
			t.Fatal(err)
		}
		if err := s.Pause(ctx(t)); err != nil {
			t.Fatal(err)
		}
		if _, status, _ := s.State(ctx(t)); status != "paused" {
			t.Fatalf("status %q after pause", status)
		}
		if err := s.Resume(ctx(t)); err != nil {
			t.Fatal(err)
		}
		limit := int64(64 << 20)
		if err := s.Update(ctx(t), &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}}); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup/memory/berth-test", c.id, "memory.limit_in_bytes"))
		if err == nil && strings.TrimSpace(string(b)) != strconv.FormatInt(limit, 10) {
			t.Fatalf("memory limit %s after update", b)
		}
	})
}

// TestLatencyAndRSS reports create+start+wait latency of `true` and the
// RSS of an idle shim.
func TestLatencyAndRSS(t *testing.T) {
	forRuntimes(t, func(t *testing.T, rt string) {
		const n = 5
		var total time.Duration
		for i := 0; i < n; i++ {
			c := newCtr(t, rt, false, "true")
			t0 := time.Now()
			s := mustCreate(t, c)
			if err := s.Start(ctx(t)); err != nil {
				t.Fatal(err)
			}
			if st, err := s.Wait(ctx(t)); err != nil || st.ExitCode != 0 {
				t.Fatalf("%+v %v", st, err)
			}
			total += time.Since(t0)
			if os.Getenv("BERTH_SHIM_TRACE") != "" {
				b, _ := os.ReadFile(filepath.Join(c.bundle, "shim.log"))
				t.Logf("trace (spawn at 0, total %v):\n%s", time.Since(t0), b)
			}
		}
		t.Logf("create+start+wait of true: %v average over %d", total/n, n)

		c := newCtr(t, rt, false, "sleep", "100")
		s := mustCreate(t, c)
		if err := s.Start(ctx(t)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		b, _ := os.ReadFile(filepath.Join(c.bundle, "shim.pid"))
		status, _ := os.ReadFile("/proc/" + strings.TrimSpace(string(b)) + "/status")
		rollup, _ := os.ReadFile("/proc/" + strings.TrimSpace(string(b)) + "/smaps_rollup")
		status = append(status, rollup...)
		for _, l := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(l, "VmRSS") || strings.HasPrefix(l, "RssAnon") || strings.HasPrefix(l, "RssFile") || strings.HasPrefix(l, "Threads") || strings.HasPrefix(l, "Pss:") {
				t.Logf("idle shim %s", strings.Join(strings.Fields(l), " "))
			}
		}
		if os.Getenv("BERTH_KEEP_IDLE") != "" {
			time.Sleep(8 * time.Second) // inspect the idle shim by hand
			sl, _ := os.ReadFile(filepath.Join(c.bundle, "shim.log"))
			t.Logf("%s", sl)
		}
		s.Kill(ctx(t), syscall.SIGKILL, true)
		s.Wait(ctx(t))
	})
}

func TestConnectMissing(t *testing.T) {
	_, err := Connect(context.Background(), t.TempDir())
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v", err)
	}
}

// mustCreate creates c's container or fails the test.
func mustCreate(t *testing.T, c *ctr) *Shim {
	t.Helper()
	s, err := Create(ctx(t), c.opts)
	skipUnsupported(t, err)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// skipUnsupported skips on a runtime that cannot work on this host at all
// (crun 1.8 refuses cgroup v1/v2 hybrid hosts).
func skipUnsupported(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), "hybrid mode not supported") {
		t.Skipf("runtime unusable on this host: %v", err)
	}
}
