package convert

import (
	"github.com/berth-project/berth/internal/errdefs"
	gogotypes "github.com/gogo/protobuf/types"
	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"
)

// taskSpecFromGRPC is shared by services (TaskTemplate) and tasks (Spec).
// A plugin runtime is recognised but its PluginSpec payload is not decoded:
// berth runs no managed plugins.
func taskSpecFromGRPC(ts swarmapi.TaskSpec) types.TaskSpec {
	out := types.TaskSpec{
		Resources:     resourcesFromGRPC(&ts),
		RestartPolicy: restartPolicyFromGRPC(ts.Restart),
		Placement:     placementFromGRPC(ts.Placement),
		LogDriver:     driverFromGRPC(ts.LogDriver),
		Networks:      networkConfigsFromGRPC(ts.Networks),
		ForceUpdate:   ts.ForceUpdate,
	}
	switch r := ts.GetRuntime().(type) {
	case *swarmapi.TaskSpec_Container:
		out.ContainerSpec = containerSpecFromGRPC(r.Container)
	case *swarmapi.TaskSpec_Generic:
		if r.Generic != nil && r.Generic.Kind == string(types.RuntimePlugin) {
			out.Runtime = types.RuntimePlugin
		}
	case *swarmapi.TaskSpec_Attachment:
		if r.Attachment != nil {
			out.NetworkAttachmentSpec = &types.NetworkAttachmentSpec{ContainerID: r.Attachment.ContainerID}
		}
		out.Runtime = types.RuntimeNetworkAttachment
	}
	return out
}

// taskSpecToGRPC converts everything but the runtime and the restart
// policy, which ServiceSpecToGRPC converts after it so that the first
// error reported is dockerd's first.
func taskSpecToGRPC(ts types.TaskSpec) (swarmapi.TaskSpec, error) {
	res, err := resourcesToGRPC(ts.Resources)
	if err != nil {
		return swarmapi.TaskSpec{}, err
	}
	return swarmapi.TaskSpec{
		Resources:   res,
		Placement:   placementToGRPC(ts.Placement),
		LogDriver:   driverToGRPC(ts.LogDriver),
		Networks:    networkConfigsToGRPC(ts.Networks),
		ForceUpdate: ts.ForceUpdate,
	}, nil
}

// resourcesFromGRPC takes the whole task spec because swarmkit keeps the
// pids limit on the container spec, not in Resources.Limits.
func resourcesFromGRPC(ts *swarmapi.TaskSpec) *types.ResourceRequirements {
	var out *types.ResourceRequirements
	if c := ts.GetContainer(); c != nil && c.PidsLimit != 0 {
		out = &types.ResourceRequirements{Limits: &types.Limit{Pids: c.PidsLimit}}
	}
	r := ts.Resources
	if r == nil {
		return out
	}
	if out == nil {
		out = &types.ResourceRequirements{}
	}
	if r.Limits != nil {
		if out.Limits == nil {
			out.Limits = &types.Limit{}
		}
		out.Limits.NanoCPUs = r.Limits.NanoCPUs
		out.Limits.MemoryBytes = r.Limits.MemoryBytes
	}
	if r.Reservations != nil {
		out.Reservations = &types.Resources{
			NanoCPUs:         r.Reservations.NanoCPUs,
			MemoryBytes:      r.Reservations.MemoryBytes,
			GenericResources: GenericResourcesFromGRPC(r.Reservations.Generic),
		}
	}
	if r.SwapBytes != nil {
		v := r.SwapBytes.Value
		out.SwapBytes = &v
	}
	if r.MemorySwappiness != nil {
		v := r.MemorySwappiness.Value
		out.MemorySwappiness = &v
	}
	return out
}

// resourcesToGRPC leaves Limits.Pids to the caller, which puts it on the
// container spec.
func resourcesToGRPC(r *types.ResourceRequirements) (*swarmapi.ResourceRequirements, error) {
	if r == nil {
		return nil, nil
	}
	out := &swarmapi.ResourceRequirements{}
	if r.Limits != nil {
		out.Limits = &swarmapi.Resources{NanoCPUs: r.Limits.NanoCPUs, MemoryBytes: r.Limits.MemoryBytes}
	}
	if r.Reservations != nil {
		out.Reservations = &swarmapi.Resources{
			NanoCPUs:    r.Reservations.NanoCPUs,
			MemoryBytes: r.Reservations.MemoryBytes,
			Generic:     GenericResourcesToGRPC(r.Reservations.GenericResources),
		}
	}
	if r.SwapBytes != nil {
		out.SwapBytes = &gogotypes.Int64Value{Value: *r.SwapBytes}
		if out.Limits == nil || out.Limits.MemoryBytes == 0 {
			return nil, errdefs.InvalidParameter("memory swap provided, but no memory-limit was set")
		}
	}
	if r.MemorySwappiness != nil {
		out.MemorySwappiness = &gogotypes.Int64Value{Value: *r.MemorySwappiness}
	}
	return out, nil
}

// restartPolicyFromGRPC always sets MaxAttempts (0 = unlimited), as the
// Engine API shows it.
func restartPolicyFromGRPC(p *swarmapi.RestartPolicy) *types.RestartPolicy {
	if p == nil {
		return nil
	}
	attempts := p.MaxAttempts
	out := &types.RestartPolicy{MaxAttempts: &attempts}
	switch p.Condition {
	case swarmapi.RestartOnNone:
		out.Condition = types.RestartPolicyConditionNone
	case swarmapi.RestartOnFailure:
		out.Condition = types.RestartPolicyConditionOnFailure
	default:
		out.Condition = types.RestartPolicyConditionAny
	}
	if p.Delay != nil {
		d := durationFromProto(p.Delay)
		out.Delay = &d
	}
	if p.Window != nil {
		w := durationFromProto(p.Window)
		out.Window = &w
	}
	return out
}

func restartPolicyToGRPC(p *types.RestartPolicy) (*swarmapi.RestartPolicy, error) {
	if p == nil {
		return nil, nil
	}
	out := &swarmapi.RestartPolicy{}
	switch p.Condition {
	case types.RestartPolicyConditionNone:
		out.Condition = swarmapi.RestartOnNone
	case types.RestartPolicyConditionOnFailure:
		out.Condition = swarmapi.RestartOnFailure
	case types.RestartPolicyConditionAny, "":
		out.Condition = swarmapi.RestartOnAny
	default:
		return nil, errdefs.InvalidParameter("invalid RestartCondition: %q", p.Condition)
	}
	if p.Delay != nil {
		out.Delay = gogotypes.DurationProto(*p.Delay)
	}
	if p.Window != nil {
		out.Window = gogotypes.DurationProto(*p.Window)
	}
	if p.MaxAttempts != nil {
		out.MaxAttempts = *p.MaxAttempts
	}
	return out, nil
}

func placementFromGRPC(p *swarmapi.Placement) *types.Placement {
	if p == nil {
		return nil
	}
	out := &types.Placement{Constraints: p.Constraints, MaxReplicas: p.MaxReplicas}
	for _, pref := range p.Preferences {
		if s := pref.GetSpread(); s != nil {
			out.Preferences = append(out.Preferences, types.PlacementPreference{Spread: &types.SpreadOver{SpreadDescriptor: s.SpreadDescriptor}})
		}
	}
	for _, pl := range p.Platforms {
		out.Platforms = append(out.Platforms, types.Platform{Architecture: pl.Architecture, OS: pl.OS})
	}
	return out
}

func placementToGRPC(p *types.Placement) *swarmapi.Placement {
	if p == nil {
		return nil
	}
	out := &swarmapi.Placement{Constraints: p.Constraints, MaxReplicas: p.MaxReplicas}
	for _, pref := range p.Preferences {
		if pref.Spread != nil {
			out.Preferences = append(out.Preferences, &swarmapi.PlacementPreference{
				Preference: &swarmapi.PlacementPreference_Spread{Spread: &swarmapi.SpreadOver{SpreadDescriptor: pref.Spread.SpreadDescriptor}},
			})
		}
	}
	for _, pl := range p.Platforms {
		out.Platforms = append(out.Platforms, &swarmapi.Platform{Architecture: pl.Architecture, OS: pl.OS})
	}
	return out
}

func updateConfigFromGRPC(u *swarmapi.UpdateConfig) *types.UpdateConfig {
	if u == nil {
		return nil
	}
	out := &types.UpdateConfig{
		Parallelism:     u.Parallelism,
		Delay:           u.Delay,
		MaxFailureRatio: u.MaxFailureRatio,
	}
	if u.Monitor != nil {
		out.Monitor = durationFromProto(u.Monitor)
	}
	switch u.FailureAction {
	case swarmapi.UpdateConfig_PAUSE:
		out.FailureAction = types.UpdateFailureActionPause
	case swarmapi.UpdateConfig_CONTINUE:
		out.FailureAction = types.UpdateFailureActionContinue
	case swarmapi.UpdateConfig_ROLLBACK:
		out.FailureAction = types.UpdateFailureActionRollback
	}
	switch u.Order {
	case swarmapi.UpdateConfig_STOP_FIRST:
		out.Order = types.UpdateOrderStopFirst
	case swarmapi.UpdateConfig_START_FIRST:
		out.Order = types.UpdateOrderStartFirst
	}
	return out
}

func updateConfigToGRPC(u *types.UpdateConfig) (*swarmapi.UpdateConfig, error) {
	if u == nil {
		return nil, nil
	}
	out := &swarmapi.UpdateConfig{Parallelism: u.Parallelism, Delay: u.Delay, MaxFailureRatio: u.MaxFailureRatio}
	switch u.FailureAction {
	case types.UpdateFailureActionPause, "":
		out.FailureAction = swarmapi.UpdateConfig_PAUSE
	case types.UpdateFailureActionContinue:
		out.FailureAction = swarmapi.UpdateConfig_CONTINUE
	case types.UpdateFailureActionRollback:
		out.FailureAction = swarmapi.UpdateConfig_ROLLBACK
	default:
		return nil, errdefs.InvalidParameter("unrecognized update failure action %s", u.FailureAction)
	}
	if u.Monitor != 0 {
		out.Monitor = gogotypes.DurationProto(u.Monitor)
	}
	switch u.Order {
	case types.UpdateOrderStopFirst, "":
		out.Order = swarmapi.UpdateConfig_STOP_FIRST
	case types.UpdateOrderStartFirst:
		out.Order = swarmapi.UpdateConfig_START_FIRST
	default:
		return nil, errdefs.InvalidParameter("unrecognized update order %s", u.Order)
	}
	return out, nil
}
