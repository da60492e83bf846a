// Package oci generates the OCI runtime spec for a container from its
// Docker configuration: namespaces, Docker's default capabilities and
// seccomp profile, masked/read-only paths, /dev, mounts, rlimits and
// cgroup resources. (CONTRACT STUB: exported API fixed; bodies to be written.)
package oci

import (
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
	HostsPath      string // bind-mounted to /etc/hosts
	HostnamePath   string // bind-mounted to /etc/hostname
	ResolvConfPath string // bind-mounted to /etc/resolv.conf
	ShmPath        string // host dir bind-mounted at /dev/shm ("" = tmpfs per --shm-size)
	CgroupsPath    string // absolute, e.g. "/berth/<id>"
	ExtraMounts    []specs.Mount // volumes/binds resolved by the daemon (issue 5)
	InitPath       string // with --init: host path of the init binary, mounted at /sbin/docker-init
}

// Generate builds the spec. User names in Config.User are resolved from the
// rootfs's /etc/passwd and /etc/group; bad flags yield InvalidParameter.
func Generate(in Input) (*specs.Spec, error) { panic("contract stub") }
