package oci

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

var errNotADevice = errors.New("not a device node")

// deviceFromPath describes the host device node at path (not following a
// final symlink).
func deviceFromPath(path string) (*specs.LinuxDevice, error) {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return nil, err
	}
	var typ string
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFBLK:
		typ = "b"
	case unix.S_IFCHR:
		typ = "c"
	case unix.S_IFIFO:
		typ = "p"
	default:
		return nil, errNotADevice
	}
	mode := os.FileMode(st.Mode &^ unix.S_IFMT)
	uid, gid := st.Uid, st.Gid
	return &specs.LinuxDevice{
		Type:     typ,
		Path:     path,
		Major:    int64(unix.Major(uint64(st.Rdev))),
		Minor:    int64(unix.Minor(uint64(st.Rdev))),
		FileMode: &mode,
		UID:      &uid,
		GID:      &gid,
	}, nil
}

func deviceRule(d *specs.LinuxDevice, access string) specs.LinuxDeviceCgroup {
	major, minor := d.Major, d.Minor
	return specs.LinuxDeviceCgroup{Allow: true, Type: d.Type, Major: &major, Minor: &minor, Access: access}
}

// devicesFromPath implements --device: a node, or a directory whose nodes
// are all added under the container path (as Docker does).
func devicesFromPath(onHost, inContainer, perms string) ([]specs.LinuxDevice, []specs.LinuxDeviceCgroup, error) {
	resolved := onHost
	if fi, err := os.Lstat(onHost); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		if p, err := filepath.EvalSymlinks(onHost); err == nil {
			resolved = p
		}
	}
	d, err := deviceFromPath(resolved)
	if err == nil {
		d.Path = inContainer
		return []specs.LinuxDevice{*d}, []specs.LinuxDeviceCgroup{deviceRule(d, perms)}, nil
	}
	var devs []specs.LinuxDevice
	var rules []specs.LinuxDeviceCgroup
	if errors.Is(err, errNotADevice) {
		if fi, e := os.Stat(resolved); e == nil && fi.IsDir() {
			_ = filepath.WalkDir(resolved, func(p string, _ os.DirEntry, _ error) error {
				cd, e := deviceFromPath(p)
				if e != nil {
					return nil
				}
				cd.Path = strings.Replace(p, resolved, inContainer, 1)
				devs = append(devs, *cd)
				rules = append(rules, deviceRule(cd, perms))
				return nil
			})
		}
	}
	if len(devs) > 0 {
		return devs, rules, nil
	}
	return nil, nil, fmt.Errorf("error gathering device information while adding custom device %q: %s", onHost, err)
}

// hostDevices lists every device node under /dev for --privileged, skipping
// the directories a container mounts itself.
func hostDevices() ([]specs.LinuxDevice, error) { return walkDevices("/dev") }

func walkDevices(dir string) ([]specs.LinuxDevice, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []specs.LinuxDevice
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if e.IsDir() {
			switch e.Name() {
			case "pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev":
				continue
			}
			sub, err := walkDevices(p)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
			continue
		}
		if e.Name() == "console" {
			continue // the runtime provides the container's console
		}
		d, err := deviceFromPath(p)
		if err != nil {
			if errors.Is(err, errNotADevice) || errors.Is(err, os.ErrNotExist) {
				continue
			}
			return nil, err
		}
		if d.Type == "p" {
			continue
		}
		out = append(out, *d)
	}
	return out, nil
}

// devices returns the device nodes to create and the cgroup rules to append
// after Docker's defaults.
func devices(hc *container.HostConfig) ([]specs.LinuxDevice, []specs.LinuxDeviceCgroup, error) {
	var devs []specs.LinuxDevice
	rules := defaultDeviceRules()
	if hc.Privileged {
		host, err := hostDevices()
		if err != nil {
			return nil, nil, err
		}
		devs = append(devs, host...)
		for _, m := range hc.Devices {
			if m.PathOnHost == m.PathInContainer {
				continue // already there via the host's /dev
			}
			d, _, err := devicesFromPath(m.PathOnHost, m.PathInContainer, "rwm")
			if err != nil {
				return nil, nil, err
			}
			devs = append(devs, d...)
		}
		return devs, []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}, nil
	}
	for _, m := range hc.Devices {
		perms := m.CgroupPermissions
		if perms == "" {
			perms = "rwm"
		}
		if strings.Trim(perms, "rwm") != "" {
			return nil, nil, errdefs.InvalidParameter("invalid device mode: %s", perms)
		}
		inCtr := m.PathInContainer
		if inCtr == "" {
			inCtr = m.PathOnHost
		}
		d, r, err := devicesFromPath(m.PathOnHost, inCtr, perms)
		if err != nil {
			return nil, nil, err
		}
		devs = append(devs, d...)
		rules = append(rules, r...)
	}
	for _, rule := range hc.DeviceCgroupRules {
		r, err := parseDeviceCgroupRule(rule)
		if err != nil {
			return nil, nil, err
		}
		rules = append(rules, r)
	}
	return devs, rules, nil
}

// parseDeviceCgroupRule parses --device-cgroup-rule "c 1:3 rwm" ('*' for
// any major/minor).
func parseDeviceCgroupRule(rule string) (specs.LinuxDeviceCgroup, error) {
	bad := errdefs.InvalidParameter("invalid device cgroup rule format: '%s'", rule)
	f := strings.Fields(rule)
	if len(f) != 3 || (f[0] != "a" && f[0] != "b" && f[0] != "c") || f[2] == "" || strings.Trim(f[2], "rwm") != "" {
		return specs.LinuxDeviceCgroup{}, bad
	}
	majS, minS, ok := strings.Cut(f[1], ":")
	if !ok {
		return specs.LinuxDeviceCgroup{}, bad
	}
	num := func(s string) (*int64, bool) {
		if s == "*" {
			return nil, true
		}
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 0 {
			return nil, false
		}
		return &v, true
	}
	major, ok1 := num(majS)
	minor, ok2 := num(minS)
	if !ok1 || !ok2 {
		return specs.LinuxDeviceCgroup{}, bad
	}
	return specs.LinuxDeviceCgroup{Allow: true, Type: f[0], Major: major, Minor: minor, Access: f[2]}, nil
}
