// Package oci generates the OCI runtime spec for a container from its
// Docker configuration: namespaces, Docker's default capabilities and
// seccomp profile, masked/read-only paths, /dev, mounts, rlimits and
// cgroup resources. Docker 28's config.json for the same `docker run`
// flags is the reference for every field.
package oci

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Input is everything Generate needs; the daemon has resolved names, files
// and paths already.
type Input struct {
	ID         string
	Rootfs     string            // merged overlay path (absolute)
	Config     *container.Config // merged image + user config (Env, Cmd, Entrypoint, WorkingDir, User, ...)
	HostConfig *container.HostConfig
	Args       []string // final argv: entrypoint + cmd, already resolved
	Env        []string // final environment including PATH, HOSTNAME, TERM when tty
	Hostname   string
	// NetNSPath is the network namespace to join; "" with NetworkMode
	// "host" means the host's; "" otherwise means a new empty one.
	NetNSPath      string
	HostsPath      string        // bind-mounted to /etc/hosts
	HostnamePath   string        // bind-mounted to /etc/hostname
	ResolvConfPath string        // bind-mounted to /etc/resolv.conf
	ShmPath        string        // host dir bind-mounted at /dev/shm ("" = tmpfs per --shm-size)
	CgroupsPath    string        // absolute, e.g. "/berth/<id>"
	ExtraMounts    []specs.Mount // volumes/binds resolved by the daemon (issue 5)
	InitPath       string        // with --init: host path of the init binary, mounted at /sbin/docker-init
}

// maxHostnameLen is HOST_NAME_MAX.
const maxHostnameLen = 64

// Generate builds the spec. User names in Config.User are resolved from the
// rootfs's /etc/passwd and /etc/group; bad flags yield InvalidParameter.
func Generate(in Input) (*specs.Spec, error) {
	if in.Config == nil {
		in.Config = &container.Config{}
	}
	if in.HostConfig == nil {
		in.HostConfig = &container.HostConfig{}
	}
	if !filepath.IsAbs(in.Rootfs) {
		return nil, errdefs.InvalidParameter("rootfs path %q is not absolute", in.Rootfs)
	}
	if len(in.Args) == 0 {
		return nil, errdefs.InvalidParameter("no command specified")
	}
	hc := *in.HostConfig // defaults below must not leak into the caller's record
	in.HostConfig = &hc
	if err := Validate(in.Config, &hc); err != nil {
		return nil, err
	}
	applyCreateDefaults(&hc)
	sec, err := parseSecurityOpts(hc.SecurityOpt)
	if err != nil {
		return nil, err
	}

	s := &specs.Spec{
		Version:     specs.Version,
		Root:        &specs.Root{Path: in.Rootfs, Readonly: hc.ReadonlyRootfs},
		Hostname:    in.Hostname,
		Annotations: maps.Clone(hc.Annotations),
		Linux:       &specs.Linux{CgroupsPath: in.CgroupsPath, Sysctl: map[string]string{}},
	}
	if hc.UTSMode.IsHost() {
		s.Hostname = ""
	}
	if s.Process, err = process(&in, &hc, sec); err != nil {
		return nil, err
	}
	if s.Mounts, err = buildMounts(&in); err != nil {
		return nil, err
	}
	s.Linux.RootfsPropagation = rootfsPropagation(in.ExtraMounts)
	if err := writableCgroups(s.Mounts, sec, &hc); err != nil {
		return nil, err
	}
	if s.Linux.Namespaces, err = namespaces(&in); err != nil {
		return nil, err
	}
	devs, rules, err := devices(&hc)
	if err != nil {
		return nil, err
	}
	s.Linux.Devices = devs
	if s.Linux.Resources, err = convertResources(&hc.Resources); err != nil {
		return nil, err
	}
	s.Linux.Resources.Devices = rules
	setSysctls(s.Linux.Sysctl, in.Config, &hc)

	if !hc.Privileged {
		s.Linux.MaskedPaths = DefaultMaskedPaths()
		s.Linux.ReadonlyPaths = DefaultReadonlyPaths()
	}
	if hc.MaskedPaths != nil {
		s.Linux.MaskedPaths = slices.Clone(hc.MaskedPaths)
	}
	if hc.ReadonlyPaths != nil {
		s.Linux.ReadonlyPaths = slices.Clone(hc.ReadonlyPaths)
	}
	if s.Linux.Seccomp, err = seccompFor(sec.seccompProfile, hc.Privileged, s); err != nil {
		return nil, err
	}
	return s, nil
}

// applyCreateDefaults fills what Docker fills at container create
// (adaptContainerSettings), so a record created by an older path still
// yields Docker's spec.
func applyCreateDefaults(hc *container.HostConfig) {
	if hc.Memory > 0 && hc.MemorySwap == 0 {
		hc.MemorySwap = hc.Memory * 2
	}
	if hc.ShmSize == 0 {
		hc.ShmSize = DefaultShmSize
	}
	if hc.IpcMode.IsEmpty() {
		hc.IpcMode = container.IPCModePrivate
	}
	if hc.OomKillDisable == nil {
		f := false
		hc.OomKillDisable = &f
	}
}

// Validate runs Docker's create-time checks on a container's settings,
// returning InvalidParameter errors with Docker's wording. The daemon can
// call it on create; Generate calls it again on start.
func Validate(cfg *container.Config, hc *container.HostConfig) error {
	if cfg != nil && len(cfg.Hostname) > maxHostnameLen {
		return errdefs.InvalidParameter("hostname %q is too long (maximum %d bytes)", cfg.Hostname, maxHostnameLen)
	}
	if hc == nil {
		return nil
	}
	r := hc.Resources
	if err := validateResources(&r, false); err != nil {
		return err
	}
	if hc.ShmSize < 0 {
		return errdefs.InvalidParameter("SHM size can not be less than 0")
	}
	if hc.OomScoreAdj < -1000 || hc.OomScoreAdj > 1000 {
		return errdefs.InvalidParameter("Invalid value %d, range for oom score adj is [-1000, 1000]", hc.OomScoreAdj)
	}
	for d := range hc.Tmpfs {
		if err := validateTmpfsDest(d); err != nil {
			return err
		}
	}
	if _, err := parseSecurityOpts(hc.SecurityOpt); err != nil {
		return err
	}
	if _, err := capabilitySet(hc.CapAdd, hc.CapDrop, hc.Privileged); err != nil {
		return err
	}
	if _, err := rlimits(hc.Ulimits); err != nil {
		return err
	}
	return nil
}

// useInit reports whether --init applies: only in a private PID namespace,
// where the container would otherwise lack a reaper.
func useInit(in *Input) bool {
	hc := in.HostConfig
	return hc.Init != nil && *hc.Init && !hc.PidMode.IsHost() && !hc.PidMode.IsContainer()
}

// process builds the container's main process.
func process(in *Input, hc *container.HostConfig, sec securityOpts) (*specs.Process, error) {
	cwd := in.Config.WorkingDir
	if cwd == "" {
		cwd = "/"
	}
	p := &specs.Process{
		Terminal:        in.Config.Tty,
		Args:            slices.Clone(in.Args),
		Env:             slices.Clone(in.Env),
		Cwd:             cwd,
		NoNewPrivileges: sec.noNewPrivileges,
	}
	if useInit(in) {
		p.Args = append([]string{inContainerInitPath, "--"}, p.Args...)
	}
	if in.Config.Tty && (hc.ConsoleSize[0] > 0 || hc.ConsoleSize[1] > 0) {
		p.ConsoleSize = &specs.Box{Height: hc.ConsoleSize[0], Width: hc.ConsoleSize[1]}
	}
	var err error
	if p.User, err = ResolveUserWithGroups(in.Rootfs, in.Config.User, hc.GroupAdd); err != nil {
		return nil, err
	}
	if hc.Umask != nil {
		m := *hc.Umask
		p.User.Umask = &m
	}
	caps, err := capabilitySet(hc.CapAdd, hc.CapDrop, hc.Privileged)
	if err != nil {
		return nil, err
	}
	// Docker 28 leaves inheritable and ambient empty so that file
	// capabilities of binaries cannot regain dropped privileges.
	p.Capabilities = &specs.LinuxCapabilities{
		Bounding:  slices.Clone(caps),
		Effective: slices.Clone(caps),
		Permitted: slices.Clone(caps),
	}
	if p.Rlimits, err = rlimits(hc.Ulimits); err != nil {
		return nil, err
	}
	oom := hc.OomScoreAdj
	p.OOMScoreAdj = &oom
	return p, nil
}

// writableCgroups clears "ro" on the cgroup mount for privileged containers
// or with --security-opt writable-cgroups=true.
func writableCgroups(ms []specs.Mount, sec securityOpts, hc *container.HostConfig) error {
	writable := hc.Privileged
	if sec.writableCgroups != nil {
		writable = *sec.writableCgroups
	}
	for i, m := range ms {
		if m.Type != "cgroup" {
			continue
		}
		opts := slices.DeleteFunc(slices.Clone(m.Options), func(o string) bool { return o == "ro" })
		if !writable {
			opts = append([]string{"ro"}, opts...)
		}
		ms[i].Options = opts
	}
	return nil
}

// setSysctls adds Docker's default network sysctls for containers with
// their own network namespace, the NIS domain name, then the user's.
func setSysctls(sysctl map[string]string, cfg *container.Config, hc *container.HostConfig) {
	if !hc.NetworkMode.IsHost() && !hc.NetworkMode.IsContainer() {
		// Unprivileged ping and low ports: safe because the caps already
		// allow equivalent things, and expected by images.
		if sysctlExists("net.ipv4.ping_group_range") {
			sysctl["net.ipv4.ping_group_range"] = "0 2147483647"
		}
		if sysctlExists("net.ipv4.ip_unprivileged_port_start") {
			sysctl["net.ipv4.ip_unprivileged_port_start"] = "0"
		}
	}
	if cfg.Domainname != "" {
		sysctl["kernel.domainname"] = cfg.Domainname
	}
	maps.Copy(sysctl, hc.Sysctls)
}

func sysctlExists(name string) bool {
	_, err := os.Stat(filepath.Join("/proc/sys", strings.ReplaceAll(name, ".", "/")))
	return err == nil
}
