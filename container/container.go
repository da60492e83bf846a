// Package container holds container records — configuration and state —
// and persists them in the daemon's bbolt database. It knows nothing about
// how containers run; package lifecycle drives the state machine.
package container

import (
	"sync"
	"time"

	containertypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
)

// State is the persisted run state.
type State struct {
	Status     containertypes.ContainerState
	Pid        int
	ExitCode   int
	Error      string
	OOMKilled  bool
	StartedAt  time.Time
	FinishedAt time.Time
	// Removing marks a removal in progress (status "removing").
	Removing bool
	// Health is present for a container with a health check (from
	// creation, as clients dereference it), nil otherwise.
	Health *containertypes.Health `json:",omitempty"`
}

// Endpoint is the container's attachment to one network while it runs:
// Docker's per-network settings with the runtime fields (IDs, addresses,
// DNS names) filled in.
type Endpoint struct {
	NetworkName string
	network.EndpointSettings
}

// MountPoint is a volume, bind or tmpfs mount of the container, shaped
// like Docker's record so inspect and --volumes-from carry the same facts.
type MountPoint struct {
	Type        mount.Type
	Name        string `json:",omitempty"` // volume name
	Source      string `json:",omitempty"` // host path: bind source or volume mountpoint
	Destination string
	Driver      string `json:",omitempty"`
	Mode        string `json:",omitempty"` // the user's -v mode string ("z" for named volumes)
	RW          bool
	Propagation mount.Propagation `json:",omitempty"`
	// Spec is the request that made the mount; an empty Spec.Source on a
	// volume marks it anonymous (removed by rm -v and --rm).
	Spec mount.Mount
	// CopyData fills an empty volume with the image content under
	// Destination when the container starts.
	CopyData bool `json:",omitempty"`
	// SkipMountpointCreation: a --mount bind source must exist at start
	// (a -v source is created).
	SkipMountpointCreation bool `json:",omitempty"`
}

// Container is one container record. Fields are guarded by the embedded
// mutex while the container is live in the daemon; the store serialises a
// snapshot under it.
type Container struct {
	mu sync.Mutex

	ID         string
	Name       string // with leading "/"
	Created    time.Time
	Path       string
	Args       []string
	Image      string // as the user named it
	ImageID    string // sha256:...
	Config     *containertypes.Config
	HostConfig *containertypes.HostConfig
	State      State
	// Endpoints are the running container's attachments, in attach order
	// (the first carries the published ports); nil when not running.
	Endpoints []*Endpoint `json:",omitempty"`
	// Ports are the actual host bindings while running.
	Ports network.PortMap `json:",omitempty"`
	// LinkEnv are the legacy --link environment variables computed at
	// start; exec processes get them too, as in Docker. Nil when not
	// running.
	LinkEnv []string `json:",omitempty"`
	// NetworkingConfig holds the configured networks, keyed by network
	// name (normalised at create; network connect/disconnect edit it).
	NetworkingConfig *network.NetworkingConfig `json:",omitempty"`

	HostnamePath   string
	HostsPath      string
	ResolvConfPath string
	LogPath        string
	RestartCount   int
	// HasBeenStarted distinguishes "created" from "exited" after a failure.
	HasBeenStarted bool
	// HasBeenManuallyStopped: a stop or kill by the user, which the
	// unless-stopped policy respects across daemon restarts.
	HasBeenManuallyStopped bool
	// Runtime is the OCI runtime name used at start.
	Runtime string
	// MountPoints are the volumes, binds and --mount tmpfs, by destination.
	MountPoints map[string]*MountPoint `json:",omitempty"`

	// Removed is set (in memory) once the record is deleted, for waiters on
	// the "removed" condition.
	Removed bool `json:"-"`

	changed chan struct{}
	restart *RestartManager
}

// Lock/Unlock guard the record's fields.
func (c *Container) Lock()   { c.mu.Lock() }
func (c *Container) Unlock() { c.mu.Unlock() }

// Changed returns a channel closed at the next state change. Call with the
// lock held.
func (c *Container) Changed() <-chan struct{} {
	if c.changed == nil {
		c.changed = make(chan struct{})
	}
	return c.changed
}

// Notify wakes everything waiting on Changed. Call with the lock held.
func (c *Container) Notify() {
	if c.changed != nil {
		close(c.changed)
		c.changed = nil
	}
}

// IsRunning reports running or paused.
func (c *Container) IsRunning() bool {
	return c.State.Status == containertypes.StateRunning || c.State.Status == containertypes.StatePaused
}

// ShortID is the 12-character ID used in messages.
func (c *Container) ShortID() string { return ShortID(c.ID) }

// ShortID truncates an ID to 12 characters.
func ShortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
