package daemon

import (
	"context"
	"github.com/berth-project/berth/logger"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/berth-project/berth/apiserver/httputils"
	containerrouter "github.com/berth-project/berth/apiserver/router/container"
	imagerouter "github.com/berth-project/berth/apiserver/router/image"
	"github.com/berth-project/berth/events"
	"github.com/berth-project/berth/internal/filters"
	containertypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/system"
	"golang.org/x/sys/unix"
)

// SystemVersion implements GET /version.
func (d *Daemon) SystemVersion(ctx context.Context) (system.VersionResponse, error) {
	kernel := kernelVersion()
	commit, built := buildStamp()
	return system.VersionResponse{
		Platform:      system.PlatformInfo{Name: "berth Engine"},
		Version:       Version,
		APIVersion:    httputils.MaxAPIVersion,
		MinAPIVersion: httputils.MinAPIVersion,
		Os:            runtime.GOOS,
		Arch:          runtime.GOARCH,
		GoVersion:     runtime.Version(),
		KernelVersion: kernel,
		GitCommit:     commit,
		BuildTime:     built,
		Components: []system.ComponentVersion{
			// The keys dockerd fills; clients read Experimental from here
			// now that the top-level field is deprecated.
			{Name: "Engine", Version: Version, Details: map[string]string{
				"ApiVersion": httputils.MaxAPIVersion, "MinAPIVersion": httputils.MinAPIVersion,
				"Os": runtime.GOOS, "Arch": runtime.GOARCH, "GoVersion": runtime.Version(), "KernelVersion": kernel,
				"GitCommit": commit, "BuildTime": built, "Experimental": "false",
			}},
			{Name: "runc", Version: "1.5.2 (libcontainer, embedded in berth-shim)"},
		},
	}, nil
}

// buildStamp returns the short VCS revision the binary was built from
// (when the build recorded one) and its build time, taken from the
// executable's modification time, in dockerd's format.
func buildStamp() (commit, built string) {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				commit = s.Value
			}
		}
	}
	if len(commit) > 7 {
		commit = commit[:7]
	}
	if exe, err := os.Executable(); err == nil {
		if fi, err := os.Stat(exe); err == nil {
			built = fi.ModTime().UTC().Format("2006-01-02T15:04:05.000000000-07:00")
		}
	}
	return commit, built
}

func kernelVersion() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

// SystemInfo implements GET /info.
func (d *Daemon) SystemInfo(ctx context.Context) (*system.Info, error) {
	list, _ := d.lifecycle.ContainerList(ctx, containerrouter.ListOptions{All: true, Filters: filters.NewArgs()})
	info := &system.Info{
		ID:                 "berth",
		Containers:         len(list),
		Driver:             "overlay2",
		DriverStatus:       [][2]string{{"Backing Filesystem", "extfs"}, {"Supports d_type", "true"}},
		MemoryLimit:        true,
		SwapLimit:          true,
		CPUCfsPeriod:       true,
		CPUCfsQuota:        true,
		CPUShares:          true,
		CPUSet:             true,
		PidsLimit:          true,
		IPv4Forwarding:     true,
		Debug:              d.cfg.Debug,
		NGoroutines:        runtime.NumGoroutine(),
		SystemTime:         time.Now().Format(time.RFC3339Nano),
		LoggingDriver:      d.cfg.LogDriver,
		CgroupDriver:       "cgroupfs",
		CgroupVersion:      cgroupVersion(),
		KernelVersion:      kernelVersion(),
		OperatingSystem:    osName(),
		OSType:             runtime.GOOS,
		Architecture:       archName(),
		IndexServerAddress: "https://index.docker.io/v1/",
		NCPU:               runtime.NumCPU(),
		MemTotal:           memTotal(),
		DockerRootDir:      d.cfg.DataRoot,
		ServerVersion:      Version,
		DefaultRuntime:     d.cfg.DefaultRuntime,
		LiveRestoreEnabled: d.cfg.LiveRestore,
		InitBinary:         "docker-init",
		SecurityOptions:    []string{"name=seccomp,profile=builtin"},
		Runtimes:           map[string]system.RuntimeWithStatus{},
		Warnings:           []string{},
	}
	if d.swarm != nil {
		info.Swarm = d.swarm.info()
	}
	info.Plugins.Volume = []string{"local"}
	info.Plugins.Network = []string{"bridge", "host", "none"}
	info.Plugins.Log = logger.Names()
	if h, err := os.Hostname(); err == nil {
		info.Name = h
	}
	for _, c := range list {
		switch c.State {
		case containertypes.StateRunning:
			info.ContainersRunning++
		case containertypes.StatePaused:
			info.ContainersPaused++
		default:
			info.ContainersStopped++
		}
	}
	if imgs, err := d.images.Images(ctx, imagerouter.ListOptions{All: true, Filters: filters.NewArgs()}); err == nil {
		info.Images = len(imgs)
	}
	info.Runtimes["berth"] = system.RuntimeWithStatus{Runtime: system.Runtime{Path: "berth-shim (embedded libcontainer)"}}
	for name, rt := range d.cfg.Runtimes {
		info.Runtimes[name] = system.RuntimeWithStatus{Runtime: system.Runtime{Path: rt.Path, Args: rt.RuntimeArgs}}
	}
	for _, name := range []string{"runc", "crun"} {
		if _, ok := info.Runtimes[name]; !ok {
			if p, err := exec.LookPath(name); err == nil {
				info.Runtimes[name] = system.RuntimeWithStatus{Runtime: system.Runtime{Path: p}}
			}
		}
	}
	return info, nil
}

func cgroupVersion() string {
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return "2"
	}
	return "1"
}

func osName() string {
	data, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return "Linux"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return "Linux"
}

func archName() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return runtime.GOARCH
	}
	return unix.ByteSliceToString(u.Machine[:])
}

func memTotal() int64 {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return 0
	}
	return int64(si.Totalram) * int64(si.Unit)
}

// SubscribeEvents implements GET /events.
func (d *Daemon) SubscribeEvents(since, until events.Time, f filters.Args) ([]events.Message, <-chan events.Message, func()) {
	return d.events.Subscribe(since, until, f)
}
