package swarm

import (
	"context"

	"github.com/berth-project/berth/apiserver/httputils"
	"github.com/moby/moby/api/types/swarm"
)

// serviceWithLegacy is the body of service create and update (named as
// dockerd names it, since JSON type errors quote the name): a ServiceSpec
// plus the top-level Networks that API < 1.25 clients send instead of
// TaskTemplate.Networks (deprecated since, and only honoured before 1.44).
type serviceWithLegacy struct {
	swarm.ServiceSpec
	Networks []swarm.NetworkAttachmentConfig `json:",omitempty"`
}

// specAdjustment clears what a client older than the version it names
// cannot have meant (its fields were added then): a field such a client
// sends anyway is not one it knows the meaning of.
type specAdjustment struct {
	before string // applies to API versions < before
	what   string // for the tests' names
	apply  func(*serviceWithLegacy)
}

func containerSpec(req *serviceWithLegacy) *swarm.ContainerSpec {
	return req.TaskTemplate.ContainerSpec
}

var specAdjustments = []specAdjustment{
	{"1.40", "Sysctls, CredentialSpec.Config, Configs[].Runtime, Placement.MaxReplicas", func(req *serviceWithLegacy) {
		if cs := containerSpec(req); cs != nil {
			cs.Sysctls = nil
			if cs.Privileges != nil && cs.Privileges.CredentialSpec != nil {
				cs.Privileges.CredentialSpec.Config = ""
			}
			for _, c := range cs.Configs {
				if c != nil {
					c.Runtime = nil
				}
			}
		}
		if p := req.TaskTemplate.Placement; p != nil {
			p.MaxReplicas = 0
		}
	}},
	{"1.41", "CapabilityAdd/Drop, Ulimits, Limits.Pids, job modes", func(req *serviceWithLegacy) {
		if cs := containerSpec(req); cs != nil {
			cs.CapabilityAdd = nil
			cs.CapabilityDrop = nil
			cs.Ulimits = nil
		}
		if res := req.TaskTemplate.Resources; res != nil && res.Limits != nil {
			res.Limits.Pids = 0
		}
		// A job-only spec is left without a mode; the Backend rejects it
		// as it would any spec without one, as dockerd does.
		req.Mode.ReplicatedJob = nil
		req.Mode.GlobalJob = nil
	}},
	{"1.44", "Seccomp, AppArmor, NoNewPrivileges, Healthcheck.StartInterval, legacy Networks", func(req *serviceWithLegacy) {
		if cs := containerSpec(req); cs != nil {
			if p := cs.Privileges; p != nil {
				p.Seccomp = nil
				p.AppArmor = nil
				p.NoNewPrivileges = false
			}
			if hc := cs.Healthcheck; hc != nil {
				hc.StartInterval = 0
			}
		}
		// TaskTemplate.Networks wins when both are given.
		if len(req.TaskTemplate.Networks) == 0 && len(req.Networks) > 0 {
			req.TaskTemplate.Networks = make([]swarm.NetworkAttachmentConfig, 0, len(req.Networks))
			for _, n := range req.Networks {
				req.TaskTemplate.Networks = append(req.TaskTemplate.Networks, swarm.NetworkAttachmentConfig{
					Target: n.Target, Aliases: n.Aliases, DriverOpts: n.DriverOpts,
				})
			}
		}
	}},
	{"1.46", "TmpfsOptions.Options, OomScoreAdj", func(req *serviceWithLegacy) {
		if cs := containerSpec(req); cs != nil {
			for i := range cs.Mounts {
				if t := cs.Mounts[i].TmpfsOptions; t != nil {
					t.Options = nil
				}
			}
			cs.OomScoreAdj = 0
		}
	}},
	{"1.52", "Resources.SwapBytes, Resources.MemorySwappiness", func(req *serviceWithLegacy) {
		if res := req.TaskTemplate.Resources; res != nil {
			res.SwapBytes = nil
			res.MemorySwappiness = nil
		}
	}},
}

// forVersion returns the spec as a client of the request's API version
// meant it.
func (req *serviceWithLegacy) forVersion(ctx context.Context) swarm.ServiceSpec {
	for _, a := range specAdjustments {
		if !httputils.VersionAtLeast(ctx, a.before) {
			a.apply(req)
		}
	}
	return req.ServiceSpec
}

// legacySpec and legacyService add back the top-level Spec.Networks that
// API < 1.25 clients read (a copy of TaskTemplate.Networks). The outer
// Spec fields shadow the embedded Service's in encoding/json.
type legacySpec struct {
	swarm.ServiceSpec
	Networks []swarm.NetworkAttachmentConfig `json:",omitempty"`
}

type legacyService struct {
	swarm.Service
	Spec         legacySpec  `json:",omitempty"`
	PreviousSpec *legacySpec `json:",omitempty"`
}

func withLegacyNetworks(s swarm.Service) legacyService {
	out := legacyService{Service: s, Spec: legacySpec{ServiceSpec: s.Spec, Networks: s.Spec.TaskTemplate.Networks}}
	if s.PreviousSpec != nil {
		out.PreviousSpec = &legacySpec{ServiceSpec: *s.PreviousSpec, Networks: s.PreviousSpec.TaskTemplate.Networks}
	}
	return out
}
