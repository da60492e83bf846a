package shim

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAwaitExit: awaitExit returns for a child that exits later and for
// one that is already a zombie when it is called. The race that hung an
// exec (the runtime's netpoller consuming the pidfd's only wake-up between
// registration and the wait) needs netpoll to run in a window of
// microseconds, so this test cannot force it; it guards the behaviour
// around it.
func TestAwaitExit(t *testing.T) {
	for i := 0; i < 50; i++ {
		for _, already := range []bool{false, true} {
			cmd := exec.Command("sh", "-c", "sleep 0.01")
			if already {
				cmd = exec.Command("true")
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			pid := cmd.Process.Pid
			if already {
				waitZombie(t, pid)
			}
			done := make(chan struct{})
			go func() { awaitExit(pid); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatalf("awaitExit(%d) did not return (already exited: %v)", pid, already)
			}
			if err := cmd.Wait(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func waitZombie(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err == nil {
			// State is the field after the ")" closing the command name.
			f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
			if len(f) > 0 && f[0] == "Z" {
				return
			}
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("pid %d never became a zombie", pid)
}
