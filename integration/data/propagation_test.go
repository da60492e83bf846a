package data

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPropagation: an rshared bind sees a mount made on the host after the
// container started, and its removal; Docker's refusal when the source is
// not on a shared mount.
func TestPropagation(t *testing.T) {
	d := daemon(t)
	for name, run := range clis(d) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			ctr := uniq(t, name, "prop")
			// a private source refuses rshared, as Docker does
			fails(t, run, "is not a shared mount", "run", "--rm", "-v", dir+":/p:rshared", "busybox", "true")

			mountOrFail(t, "--bind", dir, dir)
			defer exec.Command("umount", "-l", dir).Run()
			mountOrFail(t, "--make-shared", dir)
			must(t, run, "run", "-d", "--name", ctr, "-v", dir+":/p:rshared", "busybox", "sleep", "1000")
			defer run("rm", "-f", ctr)
			if m := inspectMounts(t, run, ctr); len(m) != 1 || m[0].Propagation != "rshared" {
				t.Errorf("inspect: %+v", m)
			}

			sub := filepath.Join(dir, "sub")
			if err := os.Mkdir(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			mountOrFail(t, "-t", "tmpfs", "tmpfs", sub)
			if err := os.WriteFile(filepath.Join(sub, "f"), []byte("late\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if out := must(t, run, "exec", ctr, "cat", "/p/sub/f"); out != "late\n" {
				t.Errorf("host mount made after start not seen: %q", out)
			}
			if out := must(t, run, "exec", ctr, "grep", " /p/sub ", "/proc/mounts"); !strings.Contains(out, "tmpfs") {
				t.Errorf("container mounts: %q", out)
			}
			if err := exec.Command("umount", sub).Run(); err != nil {
				t.Fatal(err)
			}
			var out string
			for i := 0; i < 20; i++ {
				if out, _ = run("exec", ctr, "grep", "-c", " /p/sub ", "/proc/mounts"); out == "0\n" {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if out != "0\n" {
				t.Errorf("host unmount did not propagate: %q", out)
			}
			// a private (default) bind does not see later host mounts
			priv := uniq(t, name, "priv")
			must(t, run, "run", "-d", "--name", priv, "-v", dir+":/p", "busybox", "sleep", "1000")
			defer run("rm", "-f", priv)
			mountOrFail(t, "-t", "tmpfs", "tmpfs", sub)
			defer exec.Command("umount", sub).Run()
			if out, _ := run("exec", priv, "grep", "-c", " /p/sub ", "/proc/mounts"); out != "0\n" {
				t.Errorf("rprivate bind saw a host mount: %q", out)
			}
		})
	}
}

func mountOrFail(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("mount", args...).CombinedOutput(); err != nil {
		t.Fatalf("mount %v: %v %s", args, err, out)
	}
}
