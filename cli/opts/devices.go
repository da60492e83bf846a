package opts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path"
	"strings"

	"github.com/moby/moby/api/types/container"
)

// ParseDevice parses --device "host[:container][:perms]" (perms from rwm).
func ParseDevice(s string) (container.DeviceMapping, error) {
	d := container.DeviceMapping{CgroupPermissions: "rwm"}
	parts := strings.Split(s, ":")
	switch len(parts) {
	case 3:
		if !validPerms(parts[2]) {
			return d, fmt.Errorf("invalid device specification: %s", s)
		}
		d.CgroupPermissions = parts[2]
		d.PathInContainer = parts[1]
	case 2:
		if validPerms(parts[1]) {
			d.CgroupPermissions = parts[1]
		} else {
			d.PathInContainer = parts[1]
		}
	case 1:
	default:
		return d, fmt.Errorf("invalid device specification: %s", s)
	}
	d.PathOnHost = parts[0]
	if d.PathOnHost == "" {
		return d, fmt.Errorf("invalid device specification: %s", s)
	}
	if d.PathInContainer == "" {
		d.PathInContainer = d.PathOnHost
	}
	if !path.IsAbs(d.PathInContainer) {
		return d, fmt.Errorf("%s is not an absolute path", d.PathInContainer)
	}
	return d, nil
}

func validPerms(p string) bool {
	if p == "" || len(p) > 3 {
		return false
	}
	for _, c := range p {
		if c != 'r' && c != 'w' && c != 'm' {
			return false
		}
	}
	return true
}

// ValidateDevice is a ListOpts validator for --device.
func ValidateDevice(s string) (string, error) {
	_, err := ParseDevice(s)
	return s, err
}

// ParseTmpfs turns --tmpfs "path[:opts]" values into HostConfig.Tmpfs.
func ParseTmpfs(vals []string) (map[string]string, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	m := map[string]string{}
	for _, v := range vals {
		dst, o, _ := strings.Cut(v, ":")
		if !path.IsAbs(dst) {
			return nil, fmt.Errorf("invalid tmpfs mount: %s is not an absolute path", dst)
		}
		m[dst] = o
	}
	return m, nil
}

// ParseSecurityOpts replaces "seccomp=<file>" by the file's compacted JSON
// (the daemon cannot read client files), as the docker CLI does; the
// legacy "key:value" form is normalised to "key=value".
func ParseSecurityOpts(vals []string) ([]string, error) {
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		if strings.TrimSpace(v) == "no-new-privileges" {
			out = append(out, v)
			continue
		}
		k, val, ok := strings.Cut(v, "=")
		if !ok {
			k, val, ok = strings.Cut(v, ":")
			if !ok {
				return nil, fmt.Errorf("Invalid --security-opt: %q", v)
			}
			v = k + "=" + val
		}
		if k == "seccomp" && val != "unconfined" && val != "builtin" {
			data, err := os.ReadFile(val)
			if err != nil {
				return nil, fmt.Errorf("opening seccomp profile (%s) failed: %w", val, err)
			}
			var buf bytes.Buffer
			if err := json.Compact(&buf, data); err != nil {
				return nil, fmt.Errorf("compacting json for seccomp profile (%s) failed: %w", val, err)
			}
			v = "seccomp=" + buf.String()
		}
		out = append(out, v)
	}
	return out, nil
}

// ValidateExtraHost checks --add-host "host:ip" or "host=ip" (ip may be
// "host-gateway" or a bracketed IPv6) and returns "host:ip".
func ValidateExtraHost(val string) (string, error) {
	k, v, ok := strings.Cut(val, "=")
	if !ok {
		k, v, ok = strings.Cut(val, ":")
	}
	if !ok || k == "" {
		return "", fmt.Errorf("bad format for add-host: %q", val)
	}
	if strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") {
		v = v[1 : len(v)-1]
	}
	if v != "host-gateway" {
		if _, err := netip.ParseAddr(v); err != nil {
			return "", fmt.Errorf("invalid IP address in add-host: %q", v)
		}
	}
	return k + ":" + v, nil
}

// ValidateLabel requires a non-empty key.
func ValidateLabel(val string) (string, error) {
	if k, _, _ := strings.Cut(val, "="); strings.TrimSpace(k) == "" {
		return "", fmt.Errorf("invalid label '%s': empty name", val)
	}
	return val, nil
}

// ValidateIP checks an IP address flag value.
func ValidateIP(val string) (string, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(val))
	if err != nil {
		return "", fmt.Errorf("IP address is not correctly formatted: %s", val)
	}
	return a.String(), nil
}

// ValidateSysctl checks "key=value".
func ValidateSysctl(val string) (string, error) {
	k, _, ok := strings.Cut(val, "=")
	if !ok || k == "" {
		return "", fmt.Errorf("sysctl '%s' is not allowed", val)
	}
	return val, nil
}
