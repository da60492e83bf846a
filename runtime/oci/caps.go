package oci

import (
	"slices"
	"strings"
	"sync"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/sys/capability"
)

// DefaultCapabilities is Docker's default capability set for containers, in
// Docker's order.
func DefaultCapabilities() []string {
	return []string{
		"CAP_CHOWN",
		"CAP_DAC_OVERRIDE",
		"CAP_FSETID",
		"CAP_FOWNER",
		"CAP_MKNOD",
		"CAP_NET_RAW",
		"CAP_SETGID",
		"CAP_SETUID",
		"CAP_SETFCAP",
		"CAP_SETPCAP",
		"CAP_NET_BIND_SERVICE",
		"CAP_SYS_CHROOT",
		"CAP_KILL",
		"CAP_AUDIT_WRITE",
	}
}

// capTable holds the capabilities the kernel knows (name -> available to
// us). Like Docker, "all" means all that this process holds: a privileged
// container cannot get more than the engine has.
type capTable struct {
	all   []string
	known map[string]bool
}

var loadCaps = sync.OnceValue(func() capTable {
	t := capTable{known: map[string]bool{}}
	known := capability.ListKnown()
	last, err := capability.LastCap()
	if err != nil {
		last = slices.Max(known)
	}
	cur, curErr := capability.NewPid2(0)
	if curErr == nil {
		curErr = cur.Load()
	}
	for _, c := range known {
		if c > last {
			continue
		}
		name := "CAP_" + strings.ToUpper(c.String())
		have := curErr != nil || cur.Get(capability.EFFECTIVE, c)
		t.known[name] = have
		if have {
			t.all = append(t.all, name)
		}
	}
	return t
})

// AllCapabilities lists every capability a privileged container gets.
func AllCapabilities() []string { return slices.Clone(loadCaps().all) }

// normalizeCaps uppercases names, adds the CAP_ prefix and rejects unknown
// ones with Docker's messages.
func normalizeCaps(list []string) ([]string, error) {
	t := loadCaps()
	var out []string
	for _, c := range list {
		c = strings.ToUpper(c)
		if c == "ALL" {
			out = append(out, c)
			continue
		}
		if !strings.HasPrefix(c, "CAP_") {
			c = "CAP_" + c
		}
		have, ok := t.known[c]
		if !ok {
			return nil, errdefs.InvalidParameter("unknown capability: %q", c)
		}
		if !have {
			return nil, errdefs.InvalidParameter("capability not supported by your kernel or not available in the current environment: %q", c)
		}
		out = append(out, c)
	}
	return out, nil
}

// capabilitySet applies --cap-add/--cap-drop/--privileged to the defaults
// the way Docker does: ALL in cap-add wins over cap-drop entries only for
// the named drops, ALL in cap-drop keeps just the adds.
func capabilitySet(adds, drops []string, privileged bool) ([]string, error) {
	switch {
	case privileged:
		return AllCapabilities(), nil
	case len(adds) == 0 && len(drops) == 0:
		return DefaultCapabilities(), nil
	}
	capDrop, err := normalizeCaps(drops)
	if err != nil {
		return nil, err
	}
	capAdd, err := normalizeCaps(adds)
	if err != nil {
		return nil, err
	}
	var out []string
	switch {
	case slices.Contains(capAdd, "ALL"):
		for _, c := range AllCapabilities() {
			if !slices.Contains(capDrop, c) {
				out = append(out, c)
			}
		}
	case slices.Contains(capDrop, "ALL"):
		out = capAdd
	default:
		for _, c := range DefaultCapabilities() {
			if !slices.Contains(capDrop, c) {
				out = append(out, c)
			}
		}
		for _, c := range capAdd {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out, nil
}
