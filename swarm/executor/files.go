package executor

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/moby/moby/api/types/mount"
	"github.com/moby/swarmkit/v2/agent/exec"
	"github.com/moby/swarmkit/v2/api"
	"golang.org/x/sys/unix"
)

// writeFiles puts the task's secrets and configs on a tmpfs of its own
// (secrets never touch the disk, as with dockerd) and returns the
// read-only bind mounts that place each file in the container: secrets
// under /run/secrets/<target> unless the target is absolute, configs at
// /<target>.
func (e *Executor) writeFiles(t *api.Task, deps exec.DependencyGetter) ([]mount.Mount, error) {
	spec := t.Spec.GetContainer()
	if len(spec.Secrets) == 0 && len(spec.Configs) == 0 {
		return nil, nil
	}
	dir := filepath.Join(e.cfg.SecretsDir, t.ID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil || st.Type != unix.TMPFS_MAGIC {
		if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOEXEC|unix.MS_NOSUID|unix.MS_NODEV, "mode=0755,size=16m"); err != nil {
			return nil, fmt.Errorf("secrets tmpfs for task %s: %w", t.ID, err)
		}
	}
	var mounts []mount.Mount
	for i, ref := range spec.Secrets {
		s, err := deps.Secrets().Get(ref.SecretID)
		if err != nil || s == nil {
			return nil, fmt.Errorf("unable to get secret %s from provider: %v", ref.SecretName, err)
		}
		ft := ref.GetFile()
		if ft == nil {
			continue // runtime targets (credential specs) are Windows-only
		}
		src := filepath.Join(dir, "s"+strconv.Itoa(i))
		if err := writeFile(src, s.Spec.Data, ft); err != nil {
			return nil, fmt.Errorf("secret %s: %w", ref.SecretName, err)
		}
		target := ft.Name
		if !filepath.IsAbs(target) {
			target = filepath.Join("/run/secrets", target)
		}
		mounts = append(mounts, mount.Mount{Type: mount.TypeBind, Source: src, Target: target, ReadOnly: true})
	}
	for i, ref := range spec.Configs {
		cfg, err := deps.Configs().Get(ref.ConfigID)
		if err != nil || cfg == nil {
			return nil, fmt.Errorf("unable to get config %s from provider: %v", ref.ConfigName, err)
		}
		ft := ref.GetFile()
		if ft == nil {
			continue
		}
		src := filepath.Join(dir, "c"+strconv.Itoa(i))
		if err := writeFile(src, cfg.Spec.Data, ft); err != nil {
			return nil, fmt.Errorf("config %s: %w", ref.ConfigName, err)
		}
		target := ft.Name
		if !filepath.IsAbs(target) {
			target = "/" + target
		}
		mounts = append(mounts, mount.Mount{Type: mount.TypeBind, Source: src, Target: target, ReadOnly: true})
	}
	return mounts, nil
}

func writeFile(path string, data []byte, ft *api.FileTarget) error {
	mode := ft.Mode
	if mode == 0 {
		mode = 0o444
	}
	uid, gid := 0, 0
	if ft.UID != "" {
		v, err := strconv.Atoi(ft.UID)
		if err != nil {
			return fmt.Errorf("invalid uid %q", ft.UID)
		}
		uid = v
	}
	if ft.GID != "" {
		v, err := strconv.Atoi(ft.GID)
		if err != nil {
			return fmt.Errorf("invalid gid %q", ft.GID)
		}
		gid = v
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return err
	}
	if err := os.Chown(path, uid, gid); err != nil {
		return err
	}
	return os.Chmod(path, mode.Perm())
}

// removeFiles unmounts and deletes a task's secrets tmpfs.
func (e *Executor) removeFiles(taskID string) error {
	dir := filepath.Join(e.cfg.SecretsDir, taskID)
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		return nil
	}
	_ = unix.Unmount(dir, unix.MNT_DETACH)
	return os.RemoveAll(dir)
}

// Cleanup unmounts every task tmpfs (daemon shutdown without
// live-restore, or leaving the swarm).
func (e *Executor) Cleanup() {
	ents, _ := os.ReadDir(e.cfg.SecretsDir)
	for _, d := range ents {
		_ = e.removeFiles(d.Name())
	}
}
