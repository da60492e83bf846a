package distribution

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
)

// registry is one `berth registry serve` process on a free port of
// 127.0.0.1.
type registry struct {
	Addr string // host:port
	Root string
	cmd  *exec.Cmd
}

// startRegistry runs `berth registry serve --addr 127.0.0.1:0` with extra
// flags and waits for the address it prints. It is stopped at cleanup.
func startRegistry(t testing.TB, extra ...string) *registry {
	t.Helper()
	return startRegistryAt(t, filepath.Join(t.TempDir(), "data"), extra...)
}

// startRegistryAt serves the storage at root.
func startRegistryAt(t testing.TB, root string, extra ...string) *registry {
	t.Helper()
	bin := filepath.Join(testutil.Binaries(t), "berth")
	args := append([]string{"registry", "serve", "--addr", "127.0.0.1:0", "--root", root, "--log-level", "warn"}, extra...)
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &registry{Root: root, cmd: cmd}
	t.Cleanup(func() {
		if cmd.ProcessState != nil {
			return
		}
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			if _, rest, ok := strings.Cut(line, "registry listening on "); ok && !sent {
				addr <- strings.Fields(rest)[0]
				sent = true
			}
		}
	}()
	select {
	case a := <-addr:
		r.Addr = a
	case <-time.After(30 * time.Second):
		t.Fatal("registry did not start")
	}
	return r
}

// gc runs `berth registry gc` on the registry's storage.
func (r *registry) gc(t testing.TB, args ...string) string {
	t.Helper()
	bin := filepath.Join(testutil.Binaries(t), "berth")
	out, err := exec.Command(bin, append([]string{"registry", "gc", "--root", r.Root}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("registry gc: %v\n%s", err, out)
	}
	return string(out)
}

// kill ends the registry with SIGKILL, as a crash would.
func (r *registry) kill() {
	r.cmd.Process.Kill()
	r.cmd.Wait()
}

// blobPath is where distribution's filesystem driver keeps a blob.
func (r *registry) blobPath(d string) string {
	hex := strings.TrimPrefix(d, "sha256:")
	return filepath.Join(r.Root, "docker", "registry", "v2", "blobs", "sha256", hex[:2], hex, "data")
}
