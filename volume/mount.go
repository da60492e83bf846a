package volume

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/moby/sys/mount"
	"github.com/moby/sys/mountinfo"
)

// Mount returns the host path to bind into a container. For volumes
// created with local-driver options (type=tmpfs device=tmpfs o=size=64m,
// type=none o=bind device=/path, type=nfs ...) the filesystem is mounted
// on the Mountpoint when its first user arrives and unmounted after the
// last Unmount. Each Mount must be paired with an Unmount with the same
// containerID. After a daemon restart a container that is still running
// calls Mount again: the mount found in place is reused, not remade.
func (s *Service) Mount(name, containerID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.get("get", name)
	if err != nil {
		return "", err
	}
	if !v.needsMount() {
		return v.Mountpoint, nil
	}
	a := s.active[name]
	if a == nil {
		a = &activeMount{users: map[string]int{}}
		s.active[name] = a
	}
	if !a.mounted {
		if err := mountOpts(v); err != nil {
			if a.count() == 0 {
				delete(s.active, name)
			}
			return "", err
		}
		a.mounted = true
	}
	a.users[containerID]++
	return v.Mountpoint, nil
}

// Unmount releases one Mount of the container; the last release unmounts
// an options volume. The count drops even when unmounting fails, so a
// failure never pins the volume as in use (Docker does the same).
func (s *Service) Unmount(name, containerID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.get("get", name)
	if err != nil {
		return err
	}
	a := s.active[name]
	if !v.needsMount() || a == nil {
		return nil
	}
	if a.users[containerID] > 0 {
		a.users[containerID]--
		if a.users[containerID] == 0 {
			delete(a.users, containerID)
		}
	}
	if a.count() > 0 || !a.mounted {
		return nil
	}
	err = s.unmount(name, a)
	if !a.mounted {
		delete(s.active, name)
	}
	return err
}

func mountOpts(v *Volume) error {
	device, typ, data := v.Options["device"], v.Options["type"], v.Options["o"]
	if device == "" {
		return fmt.Errorf("missing device in volume options")
	}
	if err := mount.Mount(device, v.Mountpoint, typ, data); err != nil {
		if errors.Is(err, syscall.ENODEV) && typ != "" && !kernelHasFS(typ) {
			return fmt.Errorf("failed to mount local volume: %w (this kernel has no %q filesystem support)", hidePassword(err, data), typ)
		}
		return fmt.Errorf("failed to mount local volume: %w", hidePassword(err, data))
	}
	return nil
}

// unmount takes the options mount off _data; called with s.mu held.
func (s *Service) unmount(name string, a *activeMount) error {
	path := s.dataPath(name)
	if err := mount.Unmount(path); err != nil {
		if mounted, mErr := mountinfo.Mounted(path); mounted || mErr != nil {
			return fmt.Errorf("unmount volume %s: %w", name, err)
		}
	}
	a.mounted = false
	return nil
}

// kernelHasFS reports whether /proc/filesystems lists typ (nfs is absent
// on kernels built without it, and the mount then fails with ENODEV).
func kernelHasFS(typ string) bool {
	f, err := os.Open("/proc/filesystems")
	if err != nil {
		return true
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 0 && fields[len(fields)-1] == typ {
			return true
		}
	}
	return false
}

// hidePassword keeps a cifs password out of error messages, as Docker does.
func hidePassword(err error, opts string) error {
	for _, o := range strings.Split(opts, ",") {
		if pw, ok := strings.CutPrefix(o, "password="); ok && pw != "" {
			return errors.New(strings.ReplaceAll(err.Error(), "password="+pw, "password=********"))
		}
	}
	return err
}
