package opts

import (
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/mount"
)

// Volume is a parsed -v/--volume spec.
type Volume struct {
	Source string // host path or volume name; "" for an anonymous volume
	Target string
	Mode   string
}

// ParseVolume splits -v "[src:]dst[:mode]". Like docker, the spec itself
// goes to HostConfig.Binds; an anonymous volume ("/data") goes to
// Config.Volumes.
func ParseVolume(spec string) (Volume, error) {
	var v Volume
	if spec == "" {
		return v, errors.New("invalid empty volume spec")
	}
	parts := strings.Split(spec, ":")
	switch len(parts) {
	case 1:
		v.Target = parts[0]
	case 2:
		if validMode(parts[1]) && !path.IsAbs(parts[1]) {
			v.Target, v.Mode = parts[0], parts[1]
		} else {
			v.Source, v.Target = parts[0], parts[1]
		}
	case 3:
		v.Source, v.Target, v.Mode = parts[0], parts[1], parts[2]
		if !validMode(v.Mode) {
			return v, fmt.Errorf("invalid mode: %s", v.Mode)
		}
	default:
		return v, fmt.Errorf("invalid spec: %s: too many colons", spec)
	}
	if v.Target == "" {
		return v, fmt.Errorf("invalid spec: %s: empty section between colons", spec)
	}
	if parts[0] == "" && len(parts) > 1 {
		return v, fmt.Errorf("invalid spec: %s: empty section between colons", spec)
	}
	if !path.IsAbs(v.Target) {
		return v, fmt.Errorf("invalid volume specification: '%s': invalid mount config for type \"volume\": invalid mount path: '%s' mount path must be absolute", spec, v.Target)
	}
	return v, nil
}

var volumeModes = map[string]bool{
	"ro": true, "rw": true, "z": true, "Z": true, "nocopy": true, "consistent": true,
	"cached": true, "delegated": true, "shared": true, "rshared": true, "slave": true,
	"rslave": true, "private": true, "rprivate": true,
}

func validMode(m string) bool {
	if m == "" {
		return false
	}
	for _, p := range strings.Split(m, ",") {
		if !volumeModes[p] {
			return false
		}
	}
	return true
}

// ParseMount parses a --mount CSV spec
// ("type=bind,source=/a,target=/b,readonly").
func ParseMount(spec string) (mount.Mount, error) {
	var m mount.Mount
	r := csv.NewReader(strings.NewReader(spec))
	fields, err := r.Read()
	if err != nil {
		return m, err
	}
	m.Type = mount.TypeVolume
	var (
		tmpfs  mount.TmpfsOptions
		bind   mount.BindOptions
		vol    mount.VolumeOptions
		hasTmp bool
		hasBnd bool
		hasVol bool
	)
	for _, f := range fields {
		key, val, hasVal := strings.Cut(f, "=")
		key = strings.ToLower(strings.TrimSpace(key))
		if !hasVal {
			switch key {
			case "readonly", "ro":
				m.ReadOnly = true
				continue
			case "volume-nocopy":
				vol.NoCopy, hasVol = true, true
				continue
			case "bind-nonrecursive":
				return m, errors.New("bind-nonrecursive is deprecated, use bind-recursive=disabled instead")
			default:
				return m, fmt.Errorf("invalid field '%s' must be a key=value pair", f)
			}
		}
		switch key {
		case "type":
			m.Type = mount.Type(strings.ToLower(val))
		case "source", "src":
			m.Source = val
		case "target", "dst", "destination":
			m.Target = val
		case "readonly", "ro":
			b, err := strconv.ParseBool(val)
			if err != nil {
				return m, fmt.Errorf("invalid value for %s: %s", key, val)
			}
			m.ReadOnly = b
		case "consistency":
			m.Consistency = mount.Consistency(val)
		case "bind-propagation":
			bind.Propagation, hasBnd = mount.Propagation(val), true
		case "bind-recursive":
			hasBnd = true
			switch val {
			case "enabled":
			case "disabled":
				bind.NonRecursive = true
			case "writable":
				bind.ReadOnlyNonRecursive = true
			case "readonly":
				bind.ReadOnlyForceRecursive = true
			default:
				return m, fmt.Errorf(`invalid value for %s: %s (must be "enabled", "disabled", "writable", or "readonly")`, key, val)
			}
		case "bind-create-mountpoint":
			b, err := strconv.ParseBool(val)
			if err != nil {
				return m, fmt.Errorf("invalid value for %s: %s", key, val)
			}
			bind.CreateMountpoint, hasBnd = b, true
		case "volume-nocopy":
			b, err := strconv.ParseBool(val)
			if err != nil {
				return m, fmt.Errorf("invalid value for volume-nocopy: %s", val)
			}
			vol.NoCopy, hasVol = b, true
		case "volume-subpath":
			vol.Subpath, hasVol = val, true
		case "volume-label":
			if vol.Labels == nil {
				vol.Labels = map[string]string{}
			}
			lk, lv, _ := strings.Cut(val, "=")
			vol.Labels[lk], hasVol = lv, true
		case "volume-driver":
			if vol.DriverConfig == nil {
				vol.DriverConfig = &mount.Driver{}
			}
			vol.DriverConfig.Name, hasVol = val, true
		case "volume-opt":
			if vol.DriverConfig == nil {
				vol.DriverConfig = &mount.Driver{}
			}
			if vol.DriverConfig.Options == nil {
				vol.DriverConfig.Options = map[string]string{}
			}
			ok, ov, _ := strings.Cut(val, "=")
			vol.DriverConfig.Options[ok], hasVol = ov, true
		case "tmpfs-size":
			n, err := units.RAMInBytes(val)
			if err != nil {
				return m, fmt.Errorf("invalid value for %s: %s", key, val)
			}
			tmpfs.SizeBytes, hasTmp = n, true
		case "tmpfs-mode":
			n, err := strconv.ParseUint(val, 8, 32)
			if err != nil {
				return m, fmt.Errorf("invalid value for %s: %s", key, val)
			}
			tmpfs.Mode, hasTmp = os.FileMode(n), true
		default:
			return m, fmt.Errorf("unexpected key '%s' in '%s'", key, f)
		}
	}
	if m.Target == "" {
		return m, errors.New("target is required")
	}
	switch m.Type {
	case mount.TypeBind:
		if hasVol || hasTmp {
			return m, fmt.Errorf("cannot mix 'volume-*' or 'tmpfs-*' options with mount type '%s'", m.Type)
		}
		if hasBnd {
			m.BindOptions = &bind
		}
	case mount.TypeVolume:
		if hasBnd || hasTmp {
			return m, fmt.Errorf("cannot mix 'bind-*' or 'tmpfs-*' options with mount type '%s'", m.Type)
		}
		if hasVol {
			m.VolumeOptions = &vol
		}
	case mount.TypeTmpfs:
		if hasBnd || hasVol {
			return m, fmt.Errorf("cannot mix 'bind-*' or 'volume-*' options with mount type '%s'", m.Type)
		}
		if hasTmp {
			m.TmpfsOptions = &tmpfs
		}
	}
	return m, nil
}
