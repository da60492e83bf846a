package testutil

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// StartRegistry serves `berth registry serve` on a free port of
// 127.0.0.1 with storage in a temp dir, stopped at test cleanup; it
// returns the host:port.
func StartRegistry(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(Binaries(t), "berth")
	cmd := exec.Command(bin, "registry", "serve", "--addr", "127.0.0.1:0", "--root", filepath.Join(t.TempDir(), "registry"), "--log-level", "warn")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if _, rest, ok := strings.Cut(sc.Text(), "registry listening on "); ok {
				addr <- strings.Fields(rest)[0]
				break
			}
		}
		for sc.Scan() {
		}
	}()
	select {
	case a := <-addr:
		return a
	case <-time.After(30 * time.Second):
		t.Fatal("registry did not start")
		return ""
	}
}
