package convert

import (
	"errors"
	"fmt"
	"strings"

	"github.com/moby/moby/api/types/network"
	types "github.com/moby/moby/api/types/swarm"
	"github.com/moby/swarmkit/v2/api"
)

// ServiceSpecToGRPC validates and converts a service spec.
func ServiceSpecToGRPC(s types.ServiceSpec) (api.ServiceSpec, error) {
	name := s.Name
	if name == "" {
		name = ""
	}
	out := api.ServiceSpec{Annotations: annotationsToGRPC(s.Annotations)}
	ts, err := taskSpecToGRPC(s.TaskTemplate)
	if err != nil {
		return out, err
	}
	out.Task = ts
	modes := 0
	m := s.Mode
	if m.Replicated != nil {
		modes++
		n := uint64(1)
		if m.Replicated.Replicas != nil {
			n = *m.Replicated.Replicas
		}
		out.Mode = &api.ServiceSpec_Replicated{Replicated: &api.ReplicatedService{Replicas: n}}
	}
	if m.Global != nil {
		modes++
		out.Mode = &api.ServiceSpec_Global{Global: &api.GlobalService{}}
	}
	if m.ReplicatedJob != nil {
		modes++
		j := &api.ReplicatedJob{MaxConcurrent: 1, TotalCompletions: 1}
		if m.ReplicatedJob.MaxConcurrent != nil {
			j.MaxConcurrent = *m.ReplicatedJob.MaxConcurrent
		}
		if m.ReplicatedJob.TotalCompletions != nil {
			j.TotalCompletions = *m.ReplicatedJob.TotalCompletions
		} else {
			j.TotalCompletions = j.MaxConcurrent
		}
		out.Mode = &api.ServiceSpec_ReplicatedJob{ReplicatedJob: j}
	}
	if m.GlobalJob != nil {
		modes++
		out.Mode = &api.ServiceSpec_GlobalJob{GlobalJob: &api.GlobalJob{}}
	}
	switch modes {
	case 0:
		out.Mode = &api.ServiceSpec_Replicated{Replicated: &api.ReplicatedService{Replicas: 1}}
	case 1:
	default:
		return out, errors.New("must specify only one service mode")
	}
	if out.Update, err = updateConfigToGRPC(s.UpdateConfig); err != nil {
		return out, err
	}
	if out.Rollback, err = updateConfigToGRPC(s.RollbackConfig); err != nil {
		return out, err
	}
	if out.Endpoint, err = endpointSpecToGRPC(s.EndpointSpec); err != nil {
		return out, err
	}
	return out, nil
}

func taskSpecToGRPC(t types.TaskSpec) (api.TaskSpec, error) {
	out := api.TaskSpec{ForceUpdate: t.ForceUpdate, LogDriver: driverToGRPC(t.LogDriver)}
	switch {
	case t.ContainerSpec != nil:
		c, err := containerSpecToGRPC(t.ContainerSpec)
		if err != nil {
			return out, err
		}
		out.Runtime = &api.TaskSpec_Container{Container: c}
	case t.PluginSpec != nil:
		return out, errors.New("plugin services are not supported by berth (not implemented)")
	case t.NetworkAttachmentSpec != nil:
		return out, errors.New("invalid task spec: network attachment specs cannot be created")
	default:
		out.Runtime = &api.TaskSpec_Container{Container: &api.ContainerSpec{}}
	}
	if r := t.Resources; r != nil {
		out.Resources = &api.ResourceRequirements{}
		if l := r.Limits; l != nil {
			out.Resources.Limits = &api.Resources{NanoCPUs: l.NanoCPUs, MemoryBytes: l.MemoryBytes}
			if l.Pids != 0 {
				if c := out.GetContainer(); c != nil {
					c.PidsLimit = l.Pids
				}
			}
		}
		if rs := r.Reservations; rs != nil {
			out.Resources.Reservations = &api.Resources{NanoCPUs: rs.NanoCPUs, MemoryBytes: rs.MemoryBytes}
		}
	}
	if rp := t.RestartPolicy; rp != nil {
		g := &api.RestartPolicy{Delay: durationProto(rp.Delay), Window: durationProto(rp.Window)}
		switch rp.Condition {
		case types.RestartPolicyConditionNone:
			g.Condition = api.RestartOnNone
		case types.RestartPolicyConditionOnFailure:
			g.Condition = api.RestartOnFailure
		case types.RestartPolicyConditionAny, "":
			g.Condition = api.RestartOnAny
		default:
			return out, fmt.Errorf("invalid RestartCondition: %q", rp.Condition)
		}
		if rp.MaxAttempts != nil {
			g.MaxAttempts = *rp.MaxAttempts
		}
		out.Restart = g
	}
	if p := t.Placement; p != nil {
		g := &api.Placement{Constraints: p.Constraints, MaxReplicas: p.MaxReplicas}
		for _, pref := range p.Preferences {
			if pref.Spread != nil {
				g.Preferences = append(g.Preferences, &api.PlacementPreference{Preference: &api.PlacementPreference_Spread{Spread: &api.SpreadOver{SpreadDescriptor: pref.Spread.SpreadDescriptor}}})
			}
		}
		for _, pl := range p.Platforms {
			g.Platforms = append(g.Platforms, &api.Platform{Architecture: pl.Architecture, OS: pl.OS})
		}
		out.Placement = g
	}
	for _, n := range t.Networks {
		out.Networks = append(out.Networks, &api.NetworkAttachmentConfig{Target: n.Target, Aliases: n.Aliases, DriverAttachmentOpts: n.DriverOpts})
	}
	return out, nil
}

func updateConfigToGRPC(u *types.UpdateConfig) (*api.UpdateConfig, error) {
	if u == nil {
		return nil, nil
	}
	g := &api.UpdateConfig{Parallelism: u.Parallelism, Delay: u.Delay, MaxFailureRatio: u.MaxFailureRatio}
	switch u.FailureAction {
	case types.UpdateFailureActionPause, "":
		g.FailureAction = api.UpdateConfig_PAUSE
	case types.UpdateFailureActionContinue:
		g.FailureAction = api.UpdateConfig_CONTINUE
	case types.UpdateFailureActionRollback:
		g.FailureAction = api.UpdateConfig_ROLLBACK
	default:
		return nil, fmt.Errorf("unrecognized update failure action %s", u.FailureAction)
	}
	switch u.Order {
	case types.UpdateOrderStopFirst, "":
		g.Order = api.UpdateConfig_STOP_FIRST
	case types.UpdateOrderStartFirst:
		g.Order = api.UpdateConfig_START_FIRST
	default:
		return nil, fmt.Errorf("unrecognized update order %s", u.Order)
	}
	if u.Monitor != 0 {
		g.Monitor = durationProto(&u.Monitor)
	}
	return g, nil
}

func endpointSpecToGRPC(e *types.EndpointSpec) (*api.EndpointSpec, error) {
	if e == nil {
		return nil, nil
	}
	g := &api.EndpointSpec{}
	switch e.Mode {
	case types.ResolutionModeVIP, "":
		g.Mode = api.ResolutionModeVirtualIP
	case types.ResolutionModeDNSRR:
		g.Mode = api.ResolutionModeDNSRoundRobin
	default:
		return nil, fmt.Errorf("invalid resolution mode: %q", e.Mode)
	}
	for _, p := range e.Ports {
		gp, err := portToGRPC(p)
		if err != nil {
			return nil, err
		}
		g.Ports = append(g.Ports, gp)
	}
	return g, nil
}

func portToGRPC(p types.PortConfig) (*api.PortConfig, error) {
	g := &api.PortConfig{Name: p.Name, TargetPort: p.TargetPort, PublishedPort: p.PublishedPort}
	switch strings.ToLower(string(p.Protocol)) {
	case "tcp", "":
		g.Protocol = api.ProtocolTCP
	case "udp":
		g.Protocol = api.ProtocolUDP
	case "sctp":
		g.Protocol = api.ProtocolSCTP
	default:
		return nil, fmt.Errorf("invalid protocol: %s", p.Protocol)
	}
	switch p.PublishMode {
	case types.PortConfigPublishModeIngress, "":
		g.PublishMode = api.PublishModeIngress
	case types.PortConfigPublishModeHost:
		g.PublishMode = api.PublishModeHost
	default:
		return nil, fmt.Errorf("invalid publish mode: %s", p.PublishMode)
	}
	return g, nil
}

func portFromGRPC(p *api.PortConfig) types.PortConfig {
	out := types.PortConfig{Name: p.Name, TargetPort: p.TargetPort, PublishedPort: p.PublishedPort, Protocol: network.IPProtocol(strings.ToLower(p.Protocol.String()))}
	out.PublishMode = types.PortConfigPublishModeIngress
	if p.PublishMode == api.PublishModeHost {
		out.PublishMode = types.PortConfigPublishModeHost
	}
	return out
}

// ServiceFromGRPC converts a service with its runtime state.
func ServiceFromGRPC(s api.Service) (types.Service, error) {
	out := types.Service{ID: s.ID, Meta: meta(s.Meta), Spec: serviceSpecFromGRPC(&s.Spec)}
	if s.PreviousSpec != nil {
		ps := serviceSpecFromGRPC(s.PreviousSpec)
		out.PreviousSpec = &ps
	}
	if e := s.Endpoint; e != nil {
		if e.Spec != nil {
			out.Endpoint.Spec = *endpointSpecFromGRPC(e.Spec)
		}
		for _, p := range e.Ports {
			out.Endpoint.Ports = append(out.Endpoint.Ports, portFromGRPC(p))
		}
	}
	if u := s.UpdateStatus; u != nil {
		st := &types.UpdateStatus{StartedAt: timePtr(u.StartedAt), CompletedAt: timePtr(u.CompletedAt), Message: u.Message}
		switch u.State {
		case api.UpdateStatus_UPDATING:
			st.State = types.UpdateStateUpdating
		case api.UpdateStatus_PAUSED:
			st.State = types.UpdateStatePaused
		case api.UpdateStatus_COMPLETED:
			st.State = types.UpdateStateCompleted
		case api.UpdateStatus_ROLLBACK_STARTED:
			st.State = types.UpdateStateRollbackStarted
		case api.UpdateStatus_ROLLBACK_PAUSED:
			st.State = types.UpdateStateRollbackPaused
		case api.UpdateStatus_ROLLBACK_COMPLETED:
			st.State = types.UpdateStateRollbackCompleted
		}
		out.UpdateStatus = st
	}
	if s.JobStatus != nil {
		out.JobStatus = &types.JobStatus{JobIteration: types.Version{Index: s.JobStatus.JobIteration.Index}, LastExecution: timeOf(s.JobStatus.LastExecution)}
	}
	return out, nil
}

func serviceSpecFromGRPC(s *api.ServiceSpec) types.ServiceSpec {
	out := types.ServiceSpec{Annotations: annotations(s.Annotations), TaskTemplate: taskSpecFromGRPC(s.Task)}
	switch m := s.Mode.(type) {
	case *api.ServiceSpec_Replicated:
		n := m.Replicated.Replicas
		out.Mode.Replicated = &types.ReplicatedService{Replicas: &n}
	case *api.ServiceSpec_Global:
		out.Mode.Global = &types.GlobalService{}
	case *api.ServiceSpec_ReplicatedJob:
		mc, tc := m.ReplicatedJob.MaxConcurrent, m.ReplicatedJob.TotalCompletions
		out.Mode.ReplicatedJob = &types.ReplicatedJob{MaxConcurrent: &mc, TotalCompletions: &tc}
	case *api.ServiceSpec_GlobalJob:
		out.Mode.GlobalJob = &types.GlobalJob{}
	}
	out.UpdateConfig = updateConfigFromGRPC(s.Update)
	out.RollbackConfig = updateConfigFromGRPC(s.Rollback)
	if s.Endpoint != nil {
		out.EndpointSpec = endpointSpecFromGRPC(s.Endpoint)
	}
	return out
}

func endpointSpecFromGRPC(e *api.EndpointSpec) *types.EndpointSpec {
	out := &types.EndpointSpec{Mode: types.ResolutionModeVIP}
	if e.Mode == api.ResolutionModeDNSRoundRobin {
		out.Mode = types.ResolutionModeDNSRR
	}
	for _, p := range e.Ports {
		out.Ports = append(out.Ports, portFromGRPC(p))
	}
	return out
}

func updateConfigFromGRPC(u *api.UpdateConfig) *types.UpdateConfig {
	if u == nil {
		return nil
	}
	out := &types.UpdateConfig{Parallelism: u.Parallelism, Delay: u.Delay, MaxFailureRatio: u.MaxFailureRatio, Monitor: durationOf(u.Monitor)}
	switch u.FailureAction {
	case api.UpdateConfig_PAUSE:
		out.FailureAction = types.UpdateFailureActionPause
	case api.UpdateConfig_CONTINUE:
		out.FailureAction = types.UpdateFailureActionContinue
	case api.UpdateConfig_ROLLBACK:
		out.FailureAction = types.UpdateFailureActionRollback
	}
	out.Order = types.UpdateOrderStopFirst
	if u.Order == api.UpdateConfig_START_FIRST {
		out.Order = types.UpdateOrderStartFirst
	}
	return out
}

func taskSpecFromGRPC(t api.TaskSpec) types.TaskSpec {
	out := types.TaskSpec{ForceUpdate: t.ForceUpdate, LogDriver: driver(t.LogDriver)}
	if c := t.GetContainer(); c != nil {
		out.ContainerSpec = containerSpecFromGRPC(c)
	}
	if r := t.Resources; r != nil {
		out.Resources = &types.ResourceRequirements{}
		if l := r.Limits; l != nil {
			out.Resources.Limits = &types.Limit{NanoCPUs: l.NanoCPUs, MemoryBytes: l.MemoryBytes}
			if c := t.GetContainer(); c != nil {
				out.Resources.Limits.Pids = c.PidsLimit
			}
		}
		if rs := r.Reservations; rs != nil {
			out.Resources.Reservations = &types.Resources{NanoCPUs: rs.NanoCPUs, MemoryBytes: rs.MemoryBytes}
		}
	}
	if rp := t.Restart; rp != nil {
		mr := rp.MaxAttempts
		out.RestartPolicy = &types.RestartPolicy{Delay: durationPtr(rp.Delay), Window: durationPtr(rp.Window), MaxAttempts: &mr}
		switch rp.Condition {
		case api.RestartOnNone:
			out.RestartPolicy.Condition = types.RestartPolicyConditionNone
		case api.RestartOnFailure:
			out.RestartPolicy.Condition = types.RestartPolicyConditionOnFailure
		default:
			out.RestartPolicy.Condition = types.RestartPolicyConditionAny
		}
	}
	if p := t.Placement; p != nil {
		out.Placement = &types.Placement{Constraints: p.Constraints, MaxReplicas: p.MaxReplicas}
		for _, pref := range p.Preferences {
			if s := pref.GetSpread(); s != nil {
				out.Placement.Preferences = append(out.Placement.Preferences, types.PlacementPreference{Spread: &types.SpreadOver{SpreadDescriptor: s.SpreadDescriptor}})
			}
		}
		for _, pl := range p.Platforms {
			out.Placement.Platforms = append(out.Placement.Platforms, types.Platform{Architecture: pl.Architecture, OS: pl.OS})
		}
	}
	for _, n := range t.Networks {
		out.Networks = append(out.Networks, types.NetworkAttachmentConfig{Target: n.Target, Aliases: n.Aliases, DriverOpts: n.DriverAttachmentOpts})
	}
	return out
}
