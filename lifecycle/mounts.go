package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/berth-project/berth/container"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/runtime/oci"
	"github.com/berth-project/berth/volume"
	containertypes "github.com/moby/moby/api/types/container"
	eventtypes "github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/mount"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Volumes is what containers need from the volume store (package volume):
// create or find volumes, count the containers using them (so an in-use
// volume cannot be removed) and mount them while containers run.
type Volumes interface {
	Create(ctx context.Context, name, driver string, opts, labels map[string]string) (*volume.Volume, error)
	Get(name string) (*volume.Volume, error)
	Remove(ctx context.Context, name string, force bool) error
	AddRef(name, containerID string) error
	RemoveRef(name, containerID string)
	Mount(name, containerID string) (string, error)
	Unmount(name, containerID string) error
}

var errNoVolumes = errdefs.NotImplemented("volumes: not implemented (no volume store configured)")

func duplicateMountPoint(dest string) error {
	return errdefs.InvalidParameter("Duplicate mount point: %s", dest)
}

// planMounts resolves the container's mounts without side effects, in
// Docker's order: --volumes-from, then -v (Binds), then --mount, then the
// image's and the user's anonymous VOLUMEs for destinations still free.
// Volumes named here are created by registerMounts.
func (s *Service) planMounts(cfg *containertypes.Config, hc *containertypes.HostConfig) (map[string]*container.MountPoint, error) {
	mps := map[string]*container.MountPoint{}
	for _, spec := range hc.VolumesFrom {
		ref, mode, err := parseVolumesFrom(spec)
		if err != nil {
			return nil, err
		}
		src, err := s.get(ref)
		if err != nil {
			return nil, errdefs.InvalidParameter("%v", err)
		}
		src.Lock()
		for _, m := range src.MountPoints {
			cp := *m
			cp.RW = m.RW && readWrite(mode)
			cp.CopyData = false
			cp.SkipMountpointCreation = false
			mps[cp.Destination] = &cp
		}
		src.Unlock()
	}
	binds := map[string]bool{}
	for _, raw := range hc.Binds {
		mp, err := parseBind(raw, hc.VolumeDriver)
		if err != nil {
			return nil, err
		}
		_, tmpfs := hc.Tmpfs[mp.Destination]
		if binds[mp.Destination] || tmpfs {
			return nil, duplicateMountPoint(mp.Destination)
		}
		if err := checkVolumeMount(mp); err != nil {
			return nil, err
		}
		binds[mp.Destination] = true
		mps[mp.Destination] = mp
	}
	for _, m := range hc.Mounts {
		mp, err := parseMountSpec(m, true)
		if err != nil {
			return nil, err
		}
		_, tmpfs := hc.Tmpfs[mp.Destination]
		if binds[mp.Destination] || tmpfs {
			return nil, duplicateMountPoint(m.Target)
		}
		if err := checkVolumeMount(mp); err != nil {
			return nil, err
		}
		if mp.Type == mount.TypeBind && (m.BindOptions == nil || !m.BindOptions.CreateMountpoint) {
			mp.SkipMountpointCreation = true
		}
		binds[mp.Destination] = true
		mps[mp.Destination] = mp
	}
	dests := make([]string, 0, len(cfg.Volumes))
	for d := range cfg.Volumes {
		dests = append(dests, d)
	}
	sort.Strings(dests)
	for _, d := range dests {
		if !path.IsAbs(d) {
			return nil, mountConfigError(mount.TypeVolume, fmt.Errorf("invalid mount path: '%s' mount path must be absolute", d))
		}
		dest := path.Clean(d)
		if dest == "/" {
			return nil, mountConfigError(mount.TypeVolume, errors.New("invalid specification: destination can't be '/'"))
		}
		if _, ok := mps[dest]; ok {
			continue
		}
		if _, ok := hc.Tmpfs[dest]; ok {
			continue
		}
		mps[dest] = &container.MountPoint{Type: mount.TypeVolume, Destination: dest, RW: true, CopyData: true}
	}
	if s.vols == nil {
		for _, mp := range mps {
			if mp.Type == mount.TypeVolume {
				return nil, errNoVolumes
			}
		}
	}
	return mps, nil
}

// checkVolumeMount rejects what the local driver would refuse at volume
// creation, before anything is created.
func checkVolumeMount(mp *container.MountPoint) error {
	if mp.Type != mount.TypeVolume {
		return nil
	}
	if mp.Driver != "" && mp.Driver != "local" {
		return errdefs.NotFound("error looking up volume plugin %s: plugin %q not found", mp.Driver, mp.Driver)
	}
	if mp.Name != "" {
		return validateVolumeName(mp.Name)
	}
	return nil
}

// registerMounts creates the planned volumes (anonymous ones get a
// generated name) and takes a reference on every volume for container id,
// so removing a volume in use fails. On error nothing it made is left.
func (s *Service) registerMounts(ctx context.Context, id string, mps map[string]*container.MountPoint) (retErr error) {
	var created, refs []string
	defer func() {
		if retErr == nil {
			return
		}
		for _, name := range refs {
			s.vols.RemoveRef(name, id)
		}
		for _, name := range created {
			_ = s.vols.Remove(context.WithoutCancel(ctx), name, true)
		}
	}()
	for _, dest := range sortedDests(mps) {
		mp := mps[dest]
		if mp.Type != mount.TypeVolume {
			continue
		}
		if mp.Source == "" || mp.Name == "" {
			// Not from --volumes-from: find or create the volume.
			v, fresh, err := s.ensureVolume(ctx, mp)
			if err != nil {
				return err
			}
			if fresh {
				created = append(created, v.Name)
			}
			mp.Name, mp.Driver, mp.Source = v.Name, v.Driver, v.Mountpoint
			if mp.Driver == "" {
				mp.Driver = "local"
			}
			if mp.Mode == "" && mp.Spec.Type != "" {
				// Docker's setBindModeIfNull for -v/--mount volumes (an
				// image or -v /x VOLUME has no Spec and keeps "").
				mp.Mode = "z"
			}
		} else if _, err := s.vols.Get(mp.Name); err != nil {
			return err
		}
		if err := s.vols.AddRef(mp.Name, id); err != nil {
			return err
		}
		refs = append(refs, mp.Name)
	}
	return nil
}

// ensureVolume returns the named volume, creating it (or an anonymous one)
// when missing; fresh reports a volume made here.
func (s *Service) ensureVolume(ctx context.Context, mp *container.MountPoint) (*volume.Volume, bool, error) {
	if mp.Name != "" {
		if v, err := s.vols.Get(mp.Name); err == nil {
			return v, false, nil
		} else if !errdefs.IsNotFound(err) {
			return nil, false, err
		}
	}
	var opts, labels map[string]string
	if o := mp.Spec.VolumeOptions; o != nil {
		labels = o.Labels
		if o.DriverConfig != nil {
			opts = o.DriverConfig.Options
		}
	}
	v, err := s.vols.Create(ctx, mp.Name, mp.Driver, opts, labels)
	if err != nil {
		return nil, false, err
	}
	return v, true, nil
}

func sortedDests(mps map[string]*container.MountPoint) []string {
	dests := make([]string, 0, len(mps))
	for d := range mps {
		dests = append(dests, d)
	}
	sort.Slice(dests, func(i, j int) bool {
		di, dj := strings.Count(dests[i], "/"), strings.Count(dests[j], "/")
		if di != dj {
			return di < dj
		}
		return dests[i] < dests[j]
	})
	return dests
}

// volumeNames lists each volume of the container once.
func volumeNames(c *container.Container) []string {
	var names []string
	for _, mp := range c.MountPoints {
		if mp.Type == mount.TypeVolume && mp.Name != "" && !slices.Contains(names, mp.Name) {
			names = append(names, mp.Name)
		}
	}
	sort.Strings(names)
	return names
}

// setupMounts runs at start with c locked and the rootfs mounted: it
// mounts the volumes, fills empty new ones from the image, creates missing
// -v bind sources, checks propagation and returns the OCI mounts. release
// unmounts the volumes again.
func (s *Service) setupMounts(c *container.Container, rootfs string) (_ []specs.Mount, _ func(), retErr error) {
	if len(c.MountPoints) == 0 {
		return nil, func() {}, nil
	}
	mounted := map[string]string{}
	release := func() {
		for name := range mounted {
			_ = s.vols.Unmount(name, c.ID)
		}
	}
	defer func() {
		if retErr != nil {
			release()
		}
	}()
	var out []specs.Mount
	for _, dest := range sortedDests(c.MountPoints) {
		mp := c.MountPoints[dest]
		switch mp.Type {
		case mount.TypeTmpfs:
			m, err := oci.TmpfsMount(dest, tmpfsData(mp.Spec.TmpfsOptions, mp.Spec.ReadOnly))
			if err != nil {
				return nil, nil, errdefs.InvalidParameter("%v", err)
			}
			out = append(out, m)
			continue
		case mount.TypeVolume:
			if s.vols == nil {
				return nil, nil, errNoVolumes
			}
			src, ok := mounted[mp.Name]
			if !ok {
				var err error
				if src, err = s.vols.Mount(mp.Name, c.ID); err != nil {
					return nil, nil, fmt.Errorf("mount volume %s: %w", mp.Name, err)
				}
				mounted[mp.Name] = src
			}
			if mp.CopyData {
				if err := copyImageContent(rootfs, dest, src); err != nil {
					return nil, nil, fmt.Errorf("copy image content of %s into volume %s: %w", dest, mp.Name, err)
				}
			}
			out = append(out, bindMount(mp, src))
			s.volumeEvent("mount", mp.Name, map[string]string{
				"driver": mp.Driver, "container": c.ID, "destination": dest,
				"read/write": strconv.FormatBool(mp.RW), "propagation": string(mp.Propagation),
			})
		case mount.TypeBind:
			if err := prepareBindSource(mp); err != nil {
				return nil, nil, err
			}
			if err := checkPropagation(mp.Source, mp.Propagation); err != nil {
				return nil, nil, err
			}
			out = append(out, bindMount(mp, mp.Source))
		}
	}
	return out, release, nil
}

// bindMount is the OCI form of a volume or bind, with Docker's options.
func bindMount(mp *container.MountPoint, src string) specs.Mount {
	opts := []string{"rbind"}
	if o := mp.Spec.BindOptions; o != nil && o.NonRecursive {
		opts[0] = "bind"
	}
	if !mp.RW {
		opts = append(opts, "ro")
	}
	prop := mp.Propagation
	if prop == "" {
		prop = defaultPropagation
	}
	opts = append(opts, string(prop))
	return specs.Mount{Destination: mp.Destination, Type: "bind", Source: src, Options: opts}
}

// prepareBindSource creates a missing -v source directory (Docker does;
// --mount refuses instead).
func prepareBindSource(mp *container.MountPoint) error {
	_, err := os.Stat(mp.Source)
	if err == nil {
		return nil
	}
	if !os.IsNotExist(err) {
		return err
	}
	if mp.SkipMountpointCreation {
		return mountConfigError(mount.TypeBind, fmt.Errorf("bind source path does not exist: %s", mp.Source))
	}
	if err := os.MkdirAll(mp.Source, 0o755); err != nil {
		return fmt.Errorf("error while creating mount source path '%s': %w", mp.Source, err)
	}
	return nil
}

// releaseMounts unmounts the volumes at container exit. Called with c
// locked.
func (s *Service) releaseMounts(c *container.Container) {
	if s.vols == nil {
		return
	}
	for _, name := range volumeNames(c) {
		_ = s.vols.Unmount(name, c.ID)
		s.volumeEvent("unmount", name, map[string]string{"driver": "local", "container": c.ID})
	}
}

// volumeEvent logs Docker's volume mount/unmount events.
func (s *Service) volumeEvent(action eventtypes.Action, name string, attrs map[string]string) {
	if s.events != nil {
		s.events.Log(eventtypes.VolumeEventType, action, name, attrs)
	}
}

// removeMounts drops the container's volume references at removal and,
// with rm -v or --rm, removes its anonymous volumes; a volume another
// container still uses stays (as in Docker).
func (s *Service) removeMounts(ctx context.Context, c *container.Container, removeAnonymous bool) {
	if s.vols == nil {
		return
	}
	for _, name := range volumeNames(c) {
		s.vols.RemoveRef(name, c.ID)
	}
	if !removeAnonymous {
		return
	}
	done := map[string]bool{}
	for _, mp := range c.MountPoints {
		if mp.Type != mount.TypeVolume || mp.Spec.Source != "" || done[mp.Name] {
			continue
		}
		done[mp.Name] = true
		if err := s.vols.Remove(ctx, mp.Name, false); err != nil && !errdefs.IsConflict(err) && !errdefs.IsNotFound(err) {
			fmt.Fprintf(os.Stderr, "remove volume %s of %s: %v\n", mp.Name, c.ShortID(), err)
		}
	}
}

// restoreMounts re-takes the references (and, for a container that was
// running, the volume mounts) a restarted daemon lost. Called with c
// locked.
func (s *Service) restoreMounts(c *container.Container, running bool) {
	if s.vols == nil {
		return
	}
	for _, name := range volumeNames(c) {
		if err := s.vols.AddRef(name, c.ID); err != nil {
			fmt.Fprintf(os.Stderr, "restore %s: volume %s: %v\n", c.ShortID(), name, err)
			continue
		}
		if running {
			if _, err := s.vols.Mount(name, c.ID); err != nil {
				fmt.Fprintf(os.Stderr, "restore %s: mount volume %s: %v\n", c.ShortID(), name, err)
			}
		}
	}
}

// apiMounts renders the record's mount points for inspect and ps, sorted
// by destination (Docker's order is a map's; a stable one is kinder).
func apiMounts(c *container.Container) []containertypes.MountPoint {
	out := make([]containertypes.MountPoint, 0, len(c.MountPoints))
	for _, mp := range c.MountPoints {
		out = append(out, containertypes.MountPoint{
			Type:        mp.Type,
			Name:        mp.Name,
			Source:      mp.Source,
			Destination: mp.Destination,
			Driver:      mp.Driver,
			Mode:        mp.Mode,
			RW:          mp.RW,
			Propagation: mp.Propagation,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Destination < out[j].Destination })
	return out
}

// mountedVolume reports whether c mounts something named or sourced
// value at, or at destination value (the ps "volume" filter).
func mountedVolume(c *container.Container, value string) bool {
	for _, mp := range c.MountPoints {
		if mp.Destination == value || (mp.Name != "" && mp.Name == value) || (mp.Name == "" && mp.Source == value) {
			return true
		}
	}
	return false
}
