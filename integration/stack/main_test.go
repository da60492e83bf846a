// Package stack tests `berth stack` against a real Docker Engine in swarm
// mode: the berth CLI and the official docker CLI deploy the same compose
// files on the same engine and the resulting service specs must be equal
// (modulo IDs, versions and times). Until berth's daemon has swarm mode,
// the engine is a private dockerd run in a network namespace of its own,
// so that its bridges, veths and ingress sandbox vanish with the netns.
package stack

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
)

const dockerCLI = "/usr/local/bin/docker"

// engine is the private swarm-mode dockerd.
type engine struct {
	root, sock, netns string
	cmd               *exec.Cmd
}

var (
	eng     *engine
	skipMsg string
)

func TestMain(m *testing.M) {
	var code int
	defer func() { os.Exit(code) }()
	switch {
	case os.Geteuid() != 0:
		skipMsg = "needs root to run a private dockerd"
	case !has("dockerd") || !has("containerd"):
		skipMsg = "dockerd not installed (scripts/deps.sh installs Debian's docker.io): no Docker Engine to compare stack specs with"
	case !exists(dockerCLI):
		skipMsg = dockerCLI + " (official docker CLI) not installed"
	case exists("/run/containerd/containerd.sock"):
		skipMsg = "a system containerd is running; a private dockerd would attach to it"
	}
	if skipMsg == "" {
		e, err := startEngine()
		if err != nil {
			fmt.Fprintln(os.Stderr, "stack integration:", err)
			if e != nil {
				if b, rerr := os.ReadFile(filepath.Join(e.root, "dockerd.log")); rerr == nil {
					lines := strings.Split(string(b), "\n")
					fmt.Fprintln(os.Stderr, strings.Join(lines[max(0, len(lines)-15):], "\n"))
				}
				e.stop()
			}
			code = 1
			return
		}
		eng = e
	}
	code = m.Run()
	if eng != nil {
		eng.stop()
	}
	testutil.RemoveBinaries()
}

func has(bin string) bool  { _, err := exec.LookPath(bin); return err == nil }
func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func startEngine() (*engine, error) {
	root, err := os.MkdirTemp("", "stack-dockerd-")
	if err != nil {
		return nil, err
	}
	e := &engine{root: root, sock: filepath.Join(root, "docker.sock"), netns: fmt.Sprintf("bt-stack-%d", os.Getpid())}
	if out, err := exec.Command("ip", "netns", "add", e.netns).CombinedOutput(); err != nil {
		e.netns = ""
		return e, fmt.Errorf("ip netns add: %v: %s", err, out)
	}
	if out, err := exec.Command("ip", "-n", e.netns, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		return e, fmt.Errorf("lo up: %v: %s", err, out)
	}
	if err := os.WriteFile(filepath.Join(root, "daemon.json"), []byte("{}"), 0o644); err != nil {
		return e, err
	}
	log, err := os.Create(filepath.Join(root, "dockerd.log"))
	if err != nil {
		return e, err
	}
	// No default bridge and no firewall changes: the test only needs the
	// swarm's control plane (no task ever runs, the node is drained).
	// nsenter enters only the netns: "ip netns exec" would also remount
	// /sys, hiding the cgroup filesystem dockerd needs.
	e.cmd = exec.Command("nsenter", "--net=/run/netns/"+e.netns, "dockerd",
		"--config-file", filepath.Join(root, "daemon.json"),
		"--data-root", filepath.Join(root, "data"), "--exec-root", filepath.Join(root, "run"),
		"-H", "unix://"+e.sock, "--pidfile", filepath.Join(root, "docker.pid"),
		"--bridge", "none", "--iptables=false", "--ip6tables=false", "--ip-forward=false")
	e.cmd.Stdout, e.cmd.Stderr = log, log
	e.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := e.cmd.Start(); err != nil {
		return e, err
	}
	up := false
	for range 300 {
		if _, err := e.docker("version"); err == nil {
			up = true
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !up {
		return e, fmt.Errorf("dockerd did not come up; log in %s", log.Name())
	}
	if out, err := e.docker("swarm", "init", "--advertise-addr", "127.0.0.1"); err != nil {
		return e, fmt.Errorf("swarm init: %v: %s", err, out)
	}
	// A drained node schedules no task, so nothing pulls the fixtures'
	// images from the internet.
	id, err := e.docker("info", "--format", "{{.Swarm.NodeID}}")
	if err != nil {
		return e, fmt.Errorf("info: %v: %s", err, id)
	}
	if out, err := e.docker("node", "update", "--availability", "drain", strings.TrimSpace(id)); err != nil {
		return e, fmt.Errorf("node drain: %v: %s", err, out)
	}
	return e, nil
}

func (e *engine) docker(args ...string) (string, error) {
	return e.run(dockerCLI, args...)
}

func (e *engine) run(bin string, args ...string) (string, error) {
	cmd := exec.Command(bin, append([]string{"-H", "unix://" + e.sock}, args...)...)
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+filepath.Join(e.root, "cliconfig"))
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// stop leaves the swarm, stops dockerd and its containerd, and deletes
// the netns (which takes docker_gwbridge, the ingress veths and vxlans).
func (e *engine) stop() {
	if e.cmd != nil && e.cmd.Process != nil {
		_, _ = e.docker("swarm", "leave", "--force")
		pid := 0
		if b, err := os.ReadFile(filepath.Join(e.root, "docker.pid")); err == nil {
			fmt.Sscan(string(b), &pid)
		}
		if pid > 0 {
			_ = syscall.Kill(pid, syscall.SIGTERM)
		}
		done := make(chan struct{})
		go func() { _ = e.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			// The process group is ours (Setpgid): dockerd and its containerd.
			_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	// dockerd's netns mounts (ingress_sbox, lb_*) live under exec-root.
	if b, err := os.ReadFile("/proc/self/mountinfo"); err == nil {
		lines := strings.Split(string(b), "\n")
		for i := len(lines) - 1; i >= 0; i-- {
			f := strings.Fields(lines[i])
			if len(f) > 4 && strings.HasPrefix(f[4], e.root) {
				_ = syscall.Unmount(f[4], syscall.MNT_DETACH)
			}
		}
	}
	if e.netns != "" {
		_ = exec.Command("ip", "netns", "del", e.netns).Run()
	}
	_ = os.RemoveAll(e.root)
}
