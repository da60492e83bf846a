package lifecycle

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

func TestExecdAndExited(t *testing.T) {
	self := os.Getpid()
	if exited(self) {
		t.Fatal("a running process counted as exited")
	}
	if execd(self, "no-such-argv0") {
		t.Fatal("execd matched another command")
	}
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	// Until Wait reaps it, the exited child is a zombie with an empty
	// cmdline: that counts as done, unlike an execve in progress.
	for deadline := time.Now().Add(5 * time.Second); !exited(pid) && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if !exited(pid) || !execd(pid, "true") {
		t.Fatal("zombie child not seen as exited")
	}
	_ = cmd.Wait()
	if !exited(pid) {
		t.Fatal("reaped child not seen as gone")
	}
}
