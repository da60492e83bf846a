package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/sys/capability"
)

const runcPath = "/usr/sbin/runc"

// busyboxRootfs builds a minimal rootfs: /bin/busybox plus applet symlinks
// and busybox's user databases.
func busyboxRootfs(t *testing.T) string {
	t.Helper()
	root := fakeRootfs(t)
	bin := filepath.Join(root, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Skip("needs /bin/busybox (busybox-static):", err)
	}
	if err := os.WriteFile(filepath.Join(bin, "busybox"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, applet := range []string{"sh", "id", "cat", "grep", "wc", "echo", "ls"} {
		if err := os.Symlink("busybox", filepath.Join(bin, applet)); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"proc", "dev", "sys", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// expectedCapMask is the /proc/<pid>/status bitmask for Docker's default set.
func expectedCapMask(t *testing.T) string {
	var mask uint64
	byName := map[string]capability.Cap{}
	for _, c := range capability.ListKnown() {
		byName["CAP_"+strings.ToUpper(c.String())] = c
	}
	for _, n := range DefaultCapabilities() {
		mask |= 1 << uint(byName[n])
	}
	return fmt.Sprintf("%016x", mask)
}

// maskProbe is a shell snippet printing "masked <path>=<bytes readable>"
// for each masked /proc file that exists on this host (/proc/kcore is
// absent on kernels built without CONFIG_PROC_KCORE, so it cannot be the
// only witness).
func maskProbe(t *testing.T) (script string, paths []string) {
	for _, p := range []string{"/proc/kcore", "/proc/interrupts", "/proc/timer_list", "/proc/keys"} {
		if _, err := os.Stat(p); err == nil {
			paths = append(paths, p)
			script += fmt.Sprintf("; echo masked %[1]s=$(head -c 4 %[1]s | wc -c)", p)
		}
	}
	if len(paths) == 0 {
		t.Fatal("no masked /proc file exists on this host to probe")
	}
	return script, paths
}

// runInRunc writes the spec for in to a bundle and runs it to completion
// with runc, returning stdout. State, cgroups and bundle are cleaned up.
func runInRunc(t *testing.T, in Input, id string) string {
	t.Helper()
	spec, err := Generate(in)
	if err != nil {
		t.Fatal(err)
	}
	bundle := t.TempDir()
	b, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	t.Cleanup(func() {
		_ = exec.Command(runcPath, "--root", state, "delete", "--force", id).Run()
		// runc removes the container's cgroup on exit, not the parent it
		// created; remove both (child first) on v1 controllers and v2.
		for _, p := range []string{in.CgroupsPath, filepath.Dir(in.CgroupsPath)} {
			dirs, _ := filepath.Glob("/sys/fs/cgroup/*" + p)
			dirs = append(dirs, "/sys/fs/cgroup"+p)
			for _, d := range dirs {
				if err := os.Remove(d); err != nil && !os.IsNotExist(err) {
					t.Errorf("cleanup cgroup %s: %v", d, err)
				}
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, runcPath, "--root", state, "run", "--bundle", bundle, id)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("runc run: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// TestSpecRunsInRunc proves the generated spec is accepted by a real
// runtime and has the intended effect inside the container.
func TestSpecRunsInRunc(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root: runs a container with runc")
	}
	if _, err := os.Stat(runcPath); err != nil {
		t.Skip("needs runc at", runcPath)
	}
	root := busyboxRootfs(t)
	etc := t.TempDir()
	for _, f := range []string{"hosts", "hostname", "resolv.conf"} {
		write(t, filepath.Join(etc, f), "# berth test "+f+"\n")
	}
	suffix := fmt.Sprintf("%d", os.Getpid())
	newInput := func(name string) Input {
		in := baseInput(t, root)
		in.ID = "bt-oci-" + name + "-" + suffix
		in.NetNSPath = "" // a fresh, empty network namespace
		in.HostConfig.NetworkMode = "none"
		in.HostsPath = filepath.Join(etc, "hosts")
		in.HostnamePath = filepath.Join(etc, "hostname")
		in.ResolvConfPath = filepath.Join(etc, "resolv.conf")
		in.CgroupsPath = "/bt-oci-test-" + suffix + "/" + in.ID
		return in
	}

	t.Run("default", func(t *testing.T) {
		in := newInput("default")
		probe, masked := maskProbe(t)
		in.Args = []string{"sh", "-c", `id; grep -E '^Cap(Bnd|Eff|Prm|Inh)' /proc/self/status; cat /etc/hosts; echo host=$(cat /proc/sys/kernel/hostname)` + probe}
		out := runInRunc(t, in, in.ID)
		want := expectedCapMask(t)
		for _, p := range masked {
			if !strings.Contains(out, "masked "+p+"=0\n") {
				t.Errorf("%s is readable in the container:\n%s", p, out)
			}
		}
		for _, line := range []string{
			"uid=0(root) gid=0(root) groups=0(root),10(wheel)",
			"CapBnd:\t" + want,
			"CapEff:\t" + want,
			"CapPrm:\t" + want,
			"CapInh:\t0000000000000000",
			"# berth test hosts",
			"host=0123456789ab",
		} {
			if !strings.Contains(out, line+"\n") {
				t.Errorf("missing %q in container output:\n%s", line, out)
			}
		}
	})

	t.Run("user and caps", func(t *testing.T) {
		in := newInput("user")
		in.Config.User = "alice"
		in.HostConfig.CapDrop = []string{"ALL"}
		in.HostConfig.CapAdd = []string{"NET_BIND_SERVICE"}
		in.HostConfig.SecurityOpt = []string{"no-new-privileges"}
		in.HostConfig.Ulimits = nil
		in.Args = []string{"sh", "-c", `id; grep -E '^(CapBnd|NoNewPrivs)' /proc/self/status`}
		out := runInRunc(t, in, in.ID)
		for _, line := range []string{
			"uid=1000(alice) gid=1000(alice) groups=29(audio),50(staff),1000(alice)",
			"CapBnd:\t0000000000000400",
			"NoNewPrivs:\t1",
		} {
			if !strings.Contains(out, line+"\n") {
				t.Errorf("missing %q in container output:\n%s", line, out)
			}
		}
	})

	t.Run("privileged read-only tmpfs", func(t *testing.T) {
		in := newInput("priv")
		in.HostConfig.Privileged = true
		in.HostConfig.ReadonlyRootfs = true
		in.HostConfig.Tmpfs = map[string]string{"/tmp": "size=1m"}
		in.HostConfig.Memory = 32 << 20
		in.HostConfig.PidsLimit = ptr(int64(64))
		probe, masked := maskProbe(t)
		in.Args = []string{"sh", "-c", `grep '^CapBnd' /proc/self/status; echo x > /tmp/ok && echo tmpfs-ok; echo x > /etc/berth 2>/dev/null || echo root-ro; cat /sys/fs/cgroup/pids/pids.max` + probe}
		out := runInRunc(t, in, in.ID)
		for _, p := range masked {
			if !strings.Contains(out, "masked "+p+"=4\n") {
				t.Errorf("%s must not be masked when privileged:\n%s", p, out)
			}
		}
		var all uint64
		for _, c := range AllCapabilities() {
			for _, k := range capability.ListKnown() {
				if "CAP_"+strings.ToUpper(k.String()) == c {
					all |= 1 << uint(k)
				}
			}
		}
		for _, line := range []string{
			fmt.Sprintf("CapBnd:\t%016x", all),
			"tmpfs-ok",
			"root-ro",
			"64",
		} {
			if !strings.Contains(out, line+"\n") {
				t.Errorf("missing %q in container output:\n%s", line, out)
			}
		}
	})
}
