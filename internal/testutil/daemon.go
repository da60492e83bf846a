// Package testutil starts private berth daemons for integration tests:
// each gets its own data root, exec root, socket, bridge, subnet and
// nftables table, and is torn down (with leak checks) at test cleanup.
package testutil

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/berth-project/berth/daemon"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RequireRoot skips the test when not running as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("needs root: starts a daemon that mounts overlayfs, creates namespaces, cgroups and a bridge")
	}
}

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// RepoRoot finds the module root from this source file.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Binaries builds berth, berthd and berth-shim once per test process.
func Binaries(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "berth-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binDir = dir
		root := RepoRoot()
		// berth-swarmd is built as make builds it, on the patched SwarmKit.
		fork, err := exec.Command(filepath.Join(root, "scripts", "swarmkit-fork.sh")).Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				err = fmt.Errorf("%v: %s", err, ee.Stderr)
			}
			buildErr = fmt.Errorf("scripts/swarmkit-fork.sh: %v", err)
			return
		}
		swarmWork := "GOWORK=" + strings.TrimSpace(string(fork))
		for _, b := range [][]string{
			{"-o", filepath.Join(dir, "berth"), "./cmd/berth"},
			{"-o", filepath.Join(dir, "berthd"), "./cmd/berthd"},
			{"-o", filepath.Join(dir, "berth-swarmd"), "./cmd/berth-swarmd"},
			{"-trimpath", "-ldflags", "-s -w", "-o", filepath.Join(dir, "berth-shim"), "./cmd/berth-shim"},
		} {
			cmd := exec.Command("go", append([]string{"build", "-tags", "seccomp"}, b...)...)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
			if strings.HasSuffix(b[len(b)-1], "berth-swarmd") {
				cmd.Env = append(cmd.Env, swarmWork)
			}
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %v: %v\n%s", b, err, out)
				return
			}
		}
		_ = os.Symlink("berth", filepath.Join(dir, "docker-berth"))
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

// RemoveBinaries deletes the binaries Binaries built; call it from
// TestMain after the tests ran.
func RemoveBinaries() {
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
}

// NoRemoteRegistries is the environment test daemons run with: registry
// traffic to anything but loopback (a pull of "busybox" means Docker Hub)
// goes to a closed local port and fails at once, without even a DNS
// lookup, so no test can reach outside 127.0.0.0/8 by naming a missing
// image. Go never proxies loopback hosts, so registries the tests serve
// on 127.0.0.1 are reached directly.
var NoRemoteRegistries = []string{"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "NO_PROXY=", "https_proxy=", "http_proxy=", "no_proxy="}

// Daemon is a private berth daemon.
type Daemon struct {
	Root   string // temp dir holding everything
	Sock   string
	Host   string // unix://...
	Bridge string
	Subnet string
	Bin    string // dir with berth, berth-shim
	NetNS  string // network namespace (/run/netns/NAME) or "" for the host's
	cmd    *exec.Cmd
	args   []string
	log    *lockedBuffer
}

// lockedBuffer collects daemon output written from exec's copier goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// StartDaemon starts a daemon and registers its shutdown (with the leak
// check) with t.Cleanup.
func StartDaemon(t testing.TB, extraArgs ...string) *Daemon {
	t.Helper()
	d := Start(t, extraArgs...)
	t.Cleanup(func() {
		if err := d.Stop(); err != nil {
			t.Error(err)
		}
	})
	return d
}

// StartDaemonInNetNS is StartDaemon in the network namespace
// /run/netns/<netns> (made by the test), as one node of a multi-node test.
func StartDaemonInNetNS(t testing.TB, netns string, extraArgs ...string) *Daemon {
	t.Helper()
	d := start(t, netns, extraArgs...)
	t.Cleanup(func() {
		if err := d.Stop(); err != nil {
			t.Error(err)
		}
	})
	return d
}

// Start starts a daemon; the caller must call Stop.
func Start(t testing.TB, extraArgs ...string) *Daemon {
	t.Helper()
	return start(t, "", extraArgs...)
}

func start(t testing.TB, netns string, extraArgs ...string) *Daemon {
	t.Helper()
	RequireRoot(t)
	bin := Binaries(t)
	root, err := os.MkdirTemp("", "berth-it-")
	if err != nil {
		t.Fatal(err)
	}
	id := randHex(3)
	b := make([]byte, 2)
	_, _ = rand.Read(b)
	d := &Daemon{
		Root:   root,
		Sock:   filepath.Join(root, "berth.sock"),
		Bridge: "btit" + id,
		Subnet: fmt.Sprintf("10.%d.%d.1/24", 200+int(b[0])%50, b[1]),
		Bin:    bin,
		NetNS:  netns,
		log:    &lockedBuffer{},
	}
	d.Host = "unix://" + d.Sock
	if err := os.WriteFile(filepath.Join(root, "daemon.json"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"daemon",
		"--data-root", filepath.Join(root, "data"),
		"--exec-root", filepath.Join(root, "run"),
		"-H", d.Host,
		"--bridge", d.Bridge,
		"--bip", d.Subnet,
		"--config-file", filepath.Join(root, "daemon.json"),
		// Containers and the embedded DNS server would otherwise query the
		// host's resolvers; tests only ever talk to 127.0.0.0/8.
		"--dns", "127.0.0.1",
	}, extraArgs...)
	d.args = args
	if err := d.launch(); err != nil {
		t.Fatal(err)
	}
	return d
}

func (d *Daemon) launch() error {
	d.cmd = exec.Command(filepath.Join(d.Bin, "berth"), d.args...)
	if d.NetNS != "" {
		// Only the network namespace: the daemon keeps the host's mounts
		// and cgroups, as on a machine of its own.
		d.cmd = exec.Command("nsenter", append([]string{"--net=/run/netns/" + d.NetNS, filepath.Join(d.Bin, "berth")}, d.args...)...)
	}
	d.cmd.Env = append(os.Environ(), NoRemoteRegistries...)
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	if err := d.cmd.Start(); err != nil {
		return err
	}
	if err := d.waitReady(20 * time.Second); err != nil {
		_ = d.cmd.Process.Kill()
		_ = d.cmd.Wait()
		return fmt.Errorf("daemon did not start: %v\n%s", err, d.log.String())
	}
	return nil
}

// Restart stops the daemon with SIGTERM and starts it again on the same
// roots, socket and bridge.
func (d *Daemon) Restart() error {
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- d.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(40 * time.Second):
		_ = d.cmd.Process.Kill()
		<-done
		return fmt.Errorf("daemon did not stop within 40s")
	}
	return d.launch()
}

// Crash kills the daemon with SIGKILL (no shutdown at all) and starts it
// again on the same roots, as after a crash.
func (d *Daemon) Crash() error {
	_ = d.cmd.Process.Kill()
	_ = d.cmd.Wait()
	return d.launch()
}

// Kill kills the daemon with SIGKILL and leaves it down (Relaunch starts
// it again); its containers keep running under their shims.
func (d *Daemon) Kill() {
	_ = d.cmd.Process.Kill()
	_ = d.cmd.Wait()
}

// Relaunch starts a killed daemon again on the same roots.
func (d *Daemon) Relaunch() error { return d.launch() }

// Signal sends sig to the daemon (SIGHUP reloads daemon.json).
func (d *Daemon) Signal(sig os.Signal) error { return d.cmd.Process.Signal(sig) }

// ConfigFile is the daemon.json the daemon was started with.
func (d *Daemon) ConfigFile() string { return filepath.Join(d.Root, "daemon.json") }

// CrashFor kills the daemon with SIGKILL, leaves it down for pause (so
// containers can exit meanwhile) and starts it again on the same roots.
func (d *Daemon) CrashFor(pause time.Duration) error {
	_ = d.cmd.Process.Kill()
	_ = d.cmd.Wait()
	time.Sleep(pause)
	return d.launch()
}

func (d *Daemon) waitReady(timeout time.Duration) error {
	hc := d.HTTPClient()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		resp, err := hc.Get("http://berth/_ping")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		if d.cmd.ProcessState != nil {
			return fmt.Errorf("daemon exited")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("timeout after %v", timeout)
}

// HTTPClient talks to the daemon's socket.
func (d *Daemon) HTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var dl net.Dialer
		return dl.DialContext(ctx, "unix", d.Sock)
	}}}
}

// Log returns the daemon's output so far.
func (d *Daemon) Log() string { return d.log.String() }

// Stop terminates the daemon and removes its temp dir; the error lists
// mounts, links or nftables tables the daemon left behind.
func (d *Daemon) Stop() error {
	if d.cmd == nil || d.cmd.Process == nil {
		return nil
	}
	var errs []string
	// Remove leftovers first so that leak checks measure the daemon, not
	// a failed test's containers.
	_, _ = d.Run("rm", "-f", "$(all)")
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(40 * time.Second):
		_ = d.cmd.Process.Kill()
		<-done
		errs = append(errs, "daemon did not stop within 40s")
	}
	d.cmd = nil
	if leaks := d.leaks(true); leaks != "" {
		errs = append(errs, "daemon leaked resources:\n"+leaks)
	}
	_ = exec.Command("umount", "-R", "-l", d.Root).Run()
	_ = os.RemoveAll(d.Root)
	if len(errs) > 0 {
		return fmt.Errorf("%s\ndaemon log:\n%s", strings.Join(errs, "\n"), d.log.String())
	}
	return nil
}

// Leaks lists what a running daemon should not hold when it has no
// containers: mounts under its root and veths on its bridge.
func (d *Daemon) Leaks() string { return d.leaks(false) }

// leaks adds, after the daemon stopped, its bridge and nftables table.
func (d *Daemon) leaks(stopped bool) string {
	var out []string
	if data, err := os.ReadFile("/proc/self/mountinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if strings.Contains(line, d.Root) {
				out = append(out, "mount: "+line)
			}
		}
	}
	if l, err := d.inNS("ip", "-o", "link", "show", "master", d.Bridge).CombinedOutput(); err == nil && len(bytes.TrimSpace(l)) > 0 {
		out = append(out, "veths on bridge: "+string(l))
	}
	if !stopped {
		return strings.Join(out, "\n")
	}
	if dirs, _ := filepath.Glob("/sys/fs/cgroup/*/" + d.CgroupParent()); len(dirs) > 0 {
		out = append(out, "cgroups: "+strings.Join(dirs, " "))
	}
	if l, err := d.inNS("ip", "-o", "link", "show", d.Bridge).CombinedOutput(); err == nil && len(bytes.TrimSpace(l)) > 0 {
		out = append(out, "bridge: "+string(l))
	}
	if l, err := d.inNS("nft", "list", "tables").CombinedOutput(); err == nil && strings.Contains(string(l), "berth_"+d.Bridge) {
		out = append(out, "nft table: "+string(l))
	}
	return strings.Join(out, "\n")
}

// inNS is a command in the daemon's network namespace.
func (d *Daemon) inNS(name string, args ...string) *exec.Cmd {
	if d.NetNS == "" {
		return exec.Command(name, args...)
	}
	return exec.Command("nsenter", append([]string{"--net=/run/netns/" + d.NetNS, name}, args...)...)
}

// Run runs our CLI against the daemon ("$(all)" expands to every
// container ID, for cleanup).
func (d *Daemon) Run(args ...string) (string, error) {
	return d.RunCLI(filepath.Join(d.Bin, "berth"), args...)
}

// Docker runs the official docker CLI against the daemon; it skips the
// test when the docker CLI is not installed.
func (d *Daemon) Docker(t testing.TB, args ...string) (string, error) {
	t.Helper()
	p, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("official docker CLI not installed")
	}
	return d.RunCLI(p, args...)
}

// RunCLI runs a docker-compatible CLI binary against the daemon and
// returns combined output.
func (d *Daemon) RunCLI(bin string, args ...string) (string, error) {
	for i, a := range args {
		if a == "$(all)" {
			ids, _ := d.RunCLI(bin, "ps", "-aq")
			rest := strings.Fields(ids)
			if len(rest) == 0 {
				return "", nil
			}
			args = append(append(args[:i:i], rest...), args[i+1:]...)
			break
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+d.Host, "DOCKER_CONFIG="+filepath.Join(d.Root, "cliconfig"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// ExitCode extracts a command's exit status from its error.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

// LoadBusybox imports the offline busybox image as busybox:latest.
func (d *Daemon) LoadBusybox(t testing.TB) {
	t.Helper()
	tar := filepath.Join(d.Root, "busybox.tar")
	if out, err := exec.Command(filepath.Join(RepoRoot(), "scripts", "mkbusybox.sh"), tar).CombinedOutput(); err != nil {
		t.Fatalf("mkbusybox: %v\n%s", err, out)
	}
	if out, err := d.Run("import", "--change", `CMD ["sh"]`, tar, "busybox:latest"); err != nil {
		t.Fatalf("import busybox: %v\n%s\n%s", err, out, d.Log())
	}
}

// CgroupParent is the cgroup directory the daemon puts containers under.
func (d *Daemon) CgroupParent() string {
	return daemon.CgroupParent(filepath.Join(d.Root, "run"))
}
