package oci

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/berth-project/berth/internal/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// buildMounts assembles the mount list like Docker's withMounts: default
// filesystems (minus those a user mount replaces), the init binary, then
// user mounts sorted by depth so a deeper destination is mounted after its
// parent and stays visible.
func buildMounts(in *Input) ([]specs.Mount, error) {
	hc := in.HostConfig
	user, err := userMounts(in)
	if err != nil {
		return nil, err
	}
	overridden := map[string]bool{}
	for _, m := range user {
		overridden[path.Clean(m.Destination)] = true
	}

	var out []specs.Mount
	for _, m := range defaultMounts() {
		if overridden[m.Destination] {
			continue
		}
		if overridden["/dev"] && strings.HasPrefix(m.Destination, "/dev/") {
			continue // a user /dev replaces everything under it
		}
		if m.Destination == "/dev/shm" {
			if hc.IpcMode.IsNone() {
				continue
			}
			shm := hc.ShmSize
			if shm == 0 {
				shm = DefaultShmSize
			}
			m.Options = append(m.Options, "size="+strconv.FormatInt(shm, 10))
		}
		out = append(out, m)
	}
	if useInit(in) {
		if in.InitPath == "" {
			return nil, fmt.Errorf("--init requested but no init binary is configured")
		}
		if !overridden[inContainerInitPath] {
			out = append(out, specs.Mount{Destination: inContainerInitPath, Type: "bind", Source: in.InitPath, Options: []string{"bind", "ro"}})
		}
	}

	if hc.ReadonlyRootfs {
		// Docker makes the remaining default mounts read-only too, except
		// the ones processes need to write to.
		for i, m := range out {
			switch m.Destination {
			case "/proc", "/dev/pts", "/dev/shm", "/dev/mqueue", "/dev":
				continue
			}
			if !slices.Contains(m.Options, "ro") {
				out[i].Options = append(slices.Clone(m.Options), "ro")
			}
		}
	}
	if hc.Privileged {
		// Privileged containers get a writable /sys (cgroupfs: see
		// writableCgroups).
		for i, m := range out {
			if m.Destination == "/sys" {
				out[i].Options = slices.DeleteFunc(slices.Clone(m.Options), func(o string) bool { return o == "ro" })
			}
		}
	}
	return append(out, user...), nil
}

// userMounts gathers everything Docker treats as container mounts: the
// daemon-resolved volumes/binds, the /etc files, the shared /dev/shm and
// --tmpfs entries, sorted by destination depth (stable, so equal depths
// keep this order).
func userMounts(in *Input) ([]specs.Mount, error) {
	hc := in.HostConfig
	ms := slices.Clone(in.ExtraMounts)
	has := func(dest string) bool {
		for _, m := range ms {
			if path.Clean(m.Destination) == dest {
				return true
			}
		}
		return false
	}
	etcOpts := []string{"rbind", "rprivate"}
	if hc.ReadonlyRootfs {
		etcOpts = []string{"rbind", "ro", "rprivate"}
	}
	for _, f := range []struct{ src, dst string }{
		{in.ResolvConfPath, "/etc/resolv.conf"},
		{in.HostnamePath, "/etc/hostname"},
		{in.HostsPath, "/etc/hosts"},
	} {
		if f.src != "" && !has(f.dst) {
			ms = append(ms, specs.Mount{Destination: f.dst, Type: "bind", Source: f.src, Options: slices.Clone(etcOpts)})
		}
	}
	if in.ShmPath != "" && !hc.IpcMode.IsNone() && !has("/dev/shm") {
		if _, ok := hc.Tmpfs["/dev/shm"]; !ok {
			ms = append(ms, specs.Mount{Destination: "/dev/shm", Type: "bind", Source: in.ShmPath, Options: []string{"rbind", "rprivate"}})
		}
	}
	dests := make([]string, 0, len(hc.Tmpfs))
	for d := range hc.Tmpfs {
		dests = append(dests, d)
	}
	sort.Strings(dests) // map order must not leak into the spec
	for _, d := range dests {
		m, err := TmpfsMount(d, hc.Tmpfs[d])
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	sort.SliceStable(ms, func(i, j int) bool { return depth(ms[i].Destination) < depth(ms[j].Destination) })
	return ms, nil
}

func depth(p string) int { return strings.Count(path.Clean(p), "/") }

func validateTmpfsDest(d string) error {
	if !path.IsAbs(d) {
		return errdefs.InvalidParameter("invalid mount config for type \"tmpfs\": invalid mount path: '%s' mount path must be absolute", d)
	}
	if path.Clean(d) == "/" {
		return errdefs.InvalidParameter("invalid mount config for type \"tmpfs\": destination can't be '/'")
	}
	return nil
}

// tmpfsFlags maps mount flags to a collision key: a later flag overrides an
// earlier one of the same key (exec beats noexec; one propagation mode).
var tmpfsFlags = map[string]string{
	"ro": "ro", "rw": "ro",
	"exec": "exec", "noexec": "exec",
	"suid": "suid", "nosuid": "suid",
	"dev": "dev", "nodev": "dev",
	"sync": "sync", "async": "sync",
	"dirsync": "dirsync",
	"atime":   "atime", "noatime": "atime",
	"diratime": "diratime", "nodiratime": "diratime",
	"relatime": "relatime", "norelatime": "relatime",
	"strictatime": "strictatime", "nostrictatime": "strictatime",
	"mand": "mand", "nomand": "mand",
	"remount": "remount",
	"private": "propagation", "rprivate": "propagation",
	"shared": "propagation", "rshared": "propagation",
	"slave": "propagation", "rslave": "propagation",
	"unbindable": "propagation", "runbindable": "propagation",
}

// tmpfsData are the key=value options tmpfs accepts.
var tmpfsData = map[string]bool{"size": true, "mode": true, "uid": true, "gid": true, "nr_inodes": true, "nr_blocks": true, "mpol": true}

// mergeTmpfsOptions de-duplicates tmpfs options keeping the last of each
// kind, in the order they were last given (as Docker's MergeTmpfsOptions).
func mergeTmpfsOptions(opts []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for i := len(opts) - 1; i >= 0; i-- {
		o := opts[i]
		if o == "defaults" || o == "" {
			continue
		}
		key, isFlag := tmpfsFlags[o]
		if !isFlag {
			k, _, ok := strings.Cut(o, "=")
			if !ok || !tmpfsData[k] {
				return nil, fmt.Errorf("invalid tmpfs option [%s]", strings.Join(strings.SplitN(o, "=", 2), " "))
			}
			key = "data:" + k
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, o)
	}
	slices.Reverse(out)
	return out, nil
}

// TmpfsMount is the OCI mount for a tmpfs at dest with mount data (as
// --tmpfs takes it, e.g. "size=64m,mode=1777"), with Docker's defaults
// (noexec, nosuid, nodev) that later options override.
func TmpfsMount(dest, data string) (specs.Mount, error) {
	if err := validateTmpfsDest(dest); err != nil {
		return specs.Mount{}, err
	}
	opts := []string{"noexec", "nosuid", "nodev", "rprivate"}
	if data != "" {
		opts = append(opts, strings.Split(data, ",")...)
	}
	merged, err := mergeTmpfsOptions(opts)
	if err != nil {
		return specs.Mount{}, errdefs.InvalidParameter("%s", err.Error())
	}
	return specs.Mount{Destination: dest, Type: "tmpfs", Source: "tmpfs", Options: merged}, nil
}

// rootfsPropagation is Docker's rule for the root's propagation: a shared
// bind needs a shared root and a slave bind at least a slave one, or
// mounts could not travel through the container's root mount.
func rootfsPropagation(ms []specs.Mount) string {
	root := ""
	for _, m := range ms {
		for _, o := range m.Options {
			switch o {
			case "shared", "rshared":
				root = "shared"
			case "slave", "rslave":
				if root == "" {
					root = "rslave"
				}
			}
		}
	}
	return root
}
