package lifecycle

import (
	"errors"
	"fmt"
	"os"
	"path"
	"regexp"
	"strings"

	"github.com/berth-project/berth/container"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/mount"
)

// The parsers below follow Docker's volume/mounts linux parser: the same
// accepted forms, defaults and error wording, so both CLIs and SDK users
// see Docker's answers.

var (
	rwModes          = map[string]bool{"rw": true, "ro": true}
	labelModes       = map[string]bool{"z": true, "Z": true}
	copyModes        = map[string]bool{"nocopy": true}
	consistencyModes = map[string]bool{"consistent": true, "cached": true, "delegated": true}
	propagationModes = map[mount.Propagation]bool{
		mount.PropagationPrivate: true, mount.PropagationRPrivate: true,
		mount.PropagationSlave: true, mount.PropagationRSlave: true,
		mount.PropagationShared: true, mount.PropagationRShared: true,
	}
)

const defaultPropagation = mount.PropagationRPrivate

// volumeNameRe is the local driver's rule for volume names.
var volumeNameRe = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)

// mountConfigError is Docker's errMountConfig wording.
func mountConfigError(t mount.Type, err error) error {
	return errdefs.InvalidParameter("invalid mount config for type %q: %v", t, err)
}

func validMountMode(mode string) bool {
	if mode == "" {
		return true
	}
	var rw, label, prop, cp, cons int
	for _, o := range strings.Split(mode, ",") {
		switch {
		case rwModes[o]:
			rw++
		case labelModes[o]:
			label++
		case propagationModes[mount.Propagation(o)]:
			prop++
		case copyModes[o]:
			cp++
		case consistencyModes[o]:
			cons++
		default:
			return false
		}
	}
	return rw <= 1 && label <= 1 && prop <= 1 && cp <= 1 && cons <= 1
}

func modeHas(mode string, want func(string) bool) (string, bool) {
	for _, o := range strings.Split(mode, ",") {
		if want(o) {
			return o, true
		}
	}
	return "", false
}

func readWrite(mode string) bool {
	if !validMountMode(mode) {
		return false
	}
	_, ro := modeHas(mode, func(o string) bool { return o == "ro" })
	return !ro
}

func invalidSpec(raw string) error {
	return fmt.Errorf("invalid volume specification: '%s'", raw)
}

// parseBind parses one HostConfig.Binds entry ("[src:]dst[:mode]"). A
// missing bind source is not an error here: it is created at start.
func parseBind(raw, volumeDriver string) (*container.MountPoint, error) {
	arr := strings.SplitN(raw, ":", 4)
	if arr[0] == "" {
		return nil, errdefs.InvalidParameter("%v", invalidSpec(raw))
	}
	var spec mount.Mount
	mode := ""
	switch len(arr) {
	case 1:
		spec.Target = arr[0]
	case 2:
		if validMountMode(arr[1]) {
			// "/foo:rw" is a destination with a mode: volumes need a name.
			return nil, errdefs.InvalidParameter("%v", invalidSpec(raw))
		}
		spec.Source, spec.Target = arr[0], arr[1]
	case 3:
		spec.Source, spec.Target, mode = arr[0], arr[1], arr[2]
	default:
		return nil, errdefs.InvalidParameter("%v", invalidSpec(raw))
	}
	if !validMountMode(mode) {
		return nil, errdefs.InvalidParameter("invalid mode: %s", mode)
	}
	spec.Type = mount.TypeVolume
	if path.IsAbs(spec.Source) {
		spec.Type = mount.TypeBind
	}
	spec.ReadOnly = !readWrite(mode)
	if volumeDriver != "" && spec.Type == mount.TypeVolume {
		spec.VolumeOptions = &mount.VolumeOptions{DriverConfig: &mount.Driver{Name: volumeDriver}}
	}
	if _, ok := modeHas(mode, func(o string) bool { return copyModes[o] }); ok {
		if spec.VolumeOptions == nil {
			spec.VolumeOptions = &mount.VolumeOptions{}
		}
		spec.VolumeOptions.NoCopy = true
	}
	if p, ok := modeHas(mode, func(o string) bool { return propagationModes[mount.Propagation(o)] }); ok {
		spec.BindOptions = &mount.BindOptions{Propagation: mount.Propagation(p)}
	}
	mp, err := parseMountSpec(spec, false)
	if err != nil {
		return nil, errdefs.InvalidParameter("%v: %v", invalidSpec(raw), err)
	}
	mp.Mode = mode
	return mp, nil
}

// parseMountSpec turns a --mount request into a mount point; for --mount
// (checkSource) a bind source must exist, as in Docker.
func parseMountSpec(cfg mount.Mount, checkSource bool) (*container.MountPoint, error) {
	if err := validateMount(&cfg, checkSource); err != nil {
		return nil, err
	}
	mp := &container.MountPoint{
		Type:        cfg.Type,
		RW:          !cfg.ReadOnly,
		Destination: path.Clean(cfg.Target),
		Spec:        cfg,
	}
	switch cfg.Type {
	case mount.TypeVolume:
		mp.Name = cfg.Source // "" is anonymous: the volume store names it
		mp.CopyData = true
		if o := cfg.VolumeOptions; o != nil {
			if o.DriverConfig != nil {
				mp.Driver = o.DriverConfig.Name
			}
			mp.CopyData = !o.NoCopy
		}
	case mount.TypeBind:
		mp.Source = path.Clean(cfg.Source)
		mp.Propagation = defaultPropagation
		if cfg.BindOptions != nil && cfg.BindOptions.Propagation != "" {
			mp.Propagation = cfg.BindOptions.Propagation
		}
	}
	return mp, nil
}

func validateMount(m *mount.Mount, checkSource bool) error {
	fail := func(err error) error { return mountConfigError(m.Type, err) }
	switch {
	case m.Type != mount.TypeBind && m.BindOptions != nil:
		return fail(errors.New("field BindOptions must not be specified"))
	case m.Type != mount.TypeVolume && m.VolumeOptions != nil:
		return fail(errors.New("field VolumeOptions must not be specified"))
	case m.Type != mount.TypeTmpfs && m.TmpfsOptions != nil:
		return fail(errors.New("field TmpfsOptions must not be specified"))
	}
	if m.Target == "" {
		return fail(errors.New("field Target must not be empty"))
	}
	if path.Clean(m.Target) == "/" {
		return fail(errors.New("invalid specification: destination can't be '/'"))
	}
	if !path.IsAbs(m.Target) {
		return fail(fmt.Errorf("invalid mount path: '%s' mount path must be absolute", m.Target))
	}
	switch m.Type {
	case mount.TypeBind:
		if m.Source == "" {
			return fail(errors.New("field Source must not be empty"))
		}
		if o := m.BindOptions; o != nil && o.Propagation != "" && !propagationModes[o.Propagation] {
			return fail(fmt.Errorf("invalid propagation mode: %s", o.Propagation))
		}
		if !path.IsAbs(m.Source) {
			return fail(fmt.Errorf("invalid mount path: '%s' mount path must be absolute", m.Source))
		}
		if checkSource {
			_, err := os.Stat(m.Source)
			create := m.BindOptions != nil && m.BindOptions.CreateMountpoint
			if os.IsNotExist(err) && !create {
				return fail(fmt.Errorf("bind source path does not exist: %s", m.Source))
			}
			if err != nil && !os.IsNotExist(err) {
				return fail(err)
			}
		}
	case mount.TypeVolume:
		if o := m.VolumeOptions; o != nil && o.Subpath != "" {
			return errdefs.NotImplemented("invalid mount config for type %q: volume-subpath: not implemented", m.Type)
		}
	case mount.TypeTmpfs:
		if m.Source != "" {
			return fail(errors.New("field Source must not be specified"))
		}
		if o := m.TmpfsOptions; o != nil {
			for _, kv := range o.Options {
				if len(kv) < 1 || len(kv) > 2 {
					return fail(errors.New("invalid option array length"))
				}
				if kv[0] != "exec" && kv[0] != "noexec" {
					return fail(errors.New("invalid option: " + kv[0]))
				}
			}
		}
	default:
		if m.Type == mount.TypeImage || m.Type == mount.TypeNamedPipe || m.Type == mount.TypeCluster {
			return errdefs.NotImplemented("mount type %q: not implemented", m.Type)
		}
		return fail(errors.New("mount type unknown"))
	}
	return nil
}

// validateVolumeName applies the local driver's naming rule before
// anything is created, so a bad name leaves no container behind.
func validateVolumeName(name string) error {
	if len(name) == 1 {
		return errdefs.InvalidParameter("create %s: volume name is too short, names should be at least two alphanumeric characters", name)
	}
	if !volumeNameRe.MatchString(name) {
		return errdefs.InvalidParameter("create %s: %q includes invalid characters for a local volume name, only %q are allowed. If you intended to pass a host directory, use absolute path", name, name, "[a-zA-Z0-9][a-zA-Z0-9_.-]")
	}
	return nil
}

// parseVolumesFrom splits "container[:ro|rw]".
func parseVolumesFrom(spec string) (string, string, error) {
	if spec == "" {
		return "", "", errdefs.InvalidParameter("volumes-from specification cannot be an empty string")
	}
	id, mode, _ := strings.Cut(spec, ":")
	if mode == "" {
		return id, "rw", nil
	}
	if !validMountMode(mode) {
		return "", "", errdefs.InvalidParameter("invalid mode: %s", mode)
	}
	_, prop := modeHas(mode, func(o string) bool { return propagationModes[mount.Propagation(o)] })
	_, cp := modeHas(mode, func(o string) bool { return copyModes[o] })
	if prop || cp {
		return "", "", errdefs.InvalidParameter("invalid mode: %s", mode)
	}
	return id, mode, nil
}

// tmpfsData is Docker's ConvertTmpfsOptions: the tmpfs mount data for a
// --mount type=tmpfs request.
func tmpfsData(o *mount.TmpfsOptions, readOnly bool) string {
	var opts []string
	if readOnly {
		opts = append(opts, "ro")
	}
	if o != nil && o.Mode != 0 {
		opts = append(opts, fmt.Sprintf("mode=%o", o.Mode))
	}
	if o != nil && o.SizeBytes != 0 {
		size, suffix := o.SizeBytes, ""
		for _, u := range []struct {
			s string
			d int64
		}{{"g", 1 << 30}, {"m", 1 << 20}, {"k", 1 << 10}} {
			if size%u.d == 0 {
				size, suffix = size/u.d, u.s
				break
			}
		}
		opts = append(opts, fmt.Sprintf("size=%d%s", size, suffix))
	}
	if o != nil {
		for _, kv := range o.Options {
			opts = append(opts, strings.Join(kv, "="))
		}
	}
	return strings.Join(opts, ",")
}
