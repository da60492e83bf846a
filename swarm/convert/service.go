package convert

import (
	"fmt"

	names "github.com/berth-project/berth/container"
	"github.com/berth-project/berth/internal/errdefs"
	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"
)

// ServiceFromGRPC converts a service object to GET /services/{id}'s body.
// ServiceStatus is left nil: it comes from a separate swarmkit call
// (ListServiceStatuses) the caller makes for ?status=true.
func ServiceFromGRPC(s swarmapi.Service) (types.Service, error) {
	spec, err := serviceSpecFromGRPC(&s.Spec)
	if err != nil {
		return types.Service{}, err
	}
	prev, err := serviceSpecFromGRPC(s.PreviousSpec)
	if err != nil {
		return types.Service{}, err
	}
	out := types.Service{
		ID:           s.ID,
		Meta:         metaFromGRPC(s.Meta),
		Spec:         *spec,
		PreviousSpec: prev,
		Endpoint:     endpointFromGRPC(s.Endpoint),
	}
	if j := s.JobStatus; j != nil {
		out.JobStatus = &types.JobStatus{
			JobIteration:  types.Version{Index: j.JobIteration.Index},
			LastExecution: timeFromProto(j.LastExecution),
		}
	}
	if u := s.UpdateStatus; u != nil {
		out.UpdateStatus = &types.UpdateStatus{Message: u.Message}
		switch u.State {
		case swarmapi.UpdateStatus_UPDATING:
			out.UpdateStatus.State = types.UpdateStateUpdating
		case swarmapi.UpdateStatus_PAUSED:
			out.UpdateStatus.State = types.UpdateStatePaused
		case swarmapi.UpdateStatus_COMPLETED:
			out.UpdateStatus.State = types.UpdateStateCompleted
		case swarmapi.UpdateStatus_ROLLBACK_STARTED:
			out.UpdateStatus.State = types.UpdateStateRollbackStarted
		case swarmapi.UpdateStatus_ROLLBACK_PAUSED:
			out.UpdateStatus.State = types.UpdateStateRollbackPaused
		case swarmapi.UpdateStatus_ROLLBACK_COMPLETED:
			out.UpdateStatus.State = types.UpdateStateRollbackCompleted
		}
		// An unset timestamp is omitted, not shown as the epoch.
		if t := timeFromProto(u.StartedAt); u.StartedAt != nil && t.Unix() != 0 {
			out.UpdateStatus.StartedAt = &t
		}
		if t := timeFromProto(u.CompletedAt); u.CompletedAt != nil && t.Unix() != 0 {
			out.UpdateStatus.CompletedAt = &t
		}
	}
	return out, nil
}

func serviceSpecFromGRPC(s *swarmapi.ServiceSpec) (*types.ServiceSpec, error) {
	if s == nil {
		return nil, nil
	}
	tmpl := taskSpecFromGRPC(s.Task)
	// Services created before API 1.25 keep their networks on the service
	// spec; show them where today's clients look.
	if len(tmpl.Networks) == 0 && len(s.Networks) > 0 {
		tmpl.Networks = networkConfigsFromGRPC(s.Networks)
	}
	switch r := s.Task.GetRuntime().(type) {
	case *swarmapi.TaskSpec_Container:
		tmpl.Runtime = types.RuntimeContainer
	case *swarmapi.TaskSpec_Generic:
		if r.Generic == nil || r.Generic.Kind != string(types.RuntimePlugin) {
			url := ""
			if r.Generic != nil && r.Generic.Payload != nil {
				url = r.Generic.Payload.TypeUrl
			}
			return nil, fmt.Errorf("unknown task runtime type: %s", url)
		}
	default:
		return nil, fmt.Errorf("error creating service; unsupported runtime %T", r)
	}
	out := &types.ServiceSpec{
		Annotations:    annotationsFromGRPC(s.Annotations),
		TaskTemplate:   tmpl,
		UpdateConfig:   updateConfigFromGRPC(s.Update),
		RollbackConfig: updateConfigFromGRPC(s.Rollback),
		EndpointSpec:   endpointSpecFromGRPC(s.Endpoint),
	}
	switch m := s.GetMode().(type) {
	case *swarmapi.ServiceSpec_Replicated:
		n := m.Replicated.Replicas
		out.Mode.Replicated = &types.ReplicatedService{Replicas: &n}
	case *swarmapi.ServiceSpec_Global:
		out.Mode.Global = &types.GlobalService{}
	case *swarmapi.ServiceSpec_ReplicatedJob:
		maxc, total := m.ReplicatedJob.MaxConcurrent, m.ReplicatedJob.TotalCompletions
		out.Mode.ReplicatedJob = &types.ReplicatedJob{MaxConcurrent: &maxc, TotalCompletions: &total}
	case *swarmapi.ServiceSpec_GlobalJob:
		out.Mode.GlobalJob = &types.GlobalJob{}
	}
	return out, nil
}

// ServiceSpecToGRPC converts POST /services/create's (and update's) body.
// An empty name gets a random one, as dockerd does; no mode means one
// replica. Validation swarmkit does itself (image reference, replicas,
// durations, port conflicts, secret targets) is left to it, so its
// messages reach the client as they reach Docker's.
//
// Not implemented: plugin services (Runtime "plugin"), which need managed
// plugins; a network-attachment runtime is refused as dockerd refuses it.
func ServiceSpecToGRPC(s types.ServiceSpec) (swarmapi.ServiceSpec, error) {
	name := s.Name
	if name == "" {
		name = names.RandomName(0)
	}
	task, err := taskSpecToGRPC(s.TaskTemplate)
	if err != nil {
		return swarmapi.ServiceSpec{}, err
	}
	spec := swarmapi.ServiceSpec{
		Annotations: swarmapi.Annotations{Name: name, Labels: s.Labels},
		Task:        task,
	}

	switch s.TaskTemplate.Runtime {
	case types.RuntimeContainer, "":
		if s.TaskTemplate.ContainerSpec == nil {
			return swarmapi.ServiceSpec{}, errdefs.InvalidParameter("mismatched Runtime and *Spec fields")
		}
		c, err := containerToGRPC(s.TaskTemplate.ContainerSpec)
		if err != nil {
			return swarmapi.ServiceSpec{}, err
		}
		if r := s.TaskTemplate.Resources; r != nil && r.Limits != nil {
			c.PidsLimit = r.Limits.Pids
		}
		spec.Task.Runtime = &swarmapi.TaskSpec_Container{Container: c}
	case types.RuntimePlugin:
		if s.TaskTemplate.PluginSpec == nil {
			return swarmapi.ServiceSpec{}, errdefs.InvalidParameter("mismatched Runtime and *Spec fields")
		}
		return swarmapi.ServiceSpec{}, errdefs.NotImplemented("plugin services are not implemented")
	default:
		return swarmapi.ServiceSpec{}, errdefs.InvalidParameter("unsupported runtime")
	}

	if spec.Task.Restart, err = restartPolicyToGRPC(s.TaskTemplate.RestartPolicy); err != nil {
		return swarmapi.ServiceSpec{}, err
	}
	if spec.Update, err = updateConfigToGRPC(s.UpdateConfig); err != nil {
		return swarmapi.ServiceSpec{}, err
	}
	if spec.Rollback, err = updateConfigToGRPC(s.RollbackConfig); err != nil {
		return swarmapi.ServiceSpec{}, err
	}
	if spec.Endpoint, err = endpointSpecToGRPC(s.EndpointSpec); err != nil {
		return swarmapi.ServiceSpec{}, err
	}
	if err := serviceModeToGRPC(s.Mode, &spec); err != nil {
		return swarmapi.ServiceSpec{}, err
	}
	return spec, nil
}

// serviceModeToGRPC sets spec.Mode (its oneof type is unexported).
func serviceModeToGRPC(m types.ServiceMode, spec *swarmapi.ServiceSpec) error {
	n := 0
	for _, set := range []bool{m.Replicated != nil, m.Global != nil, m.ReplicatedJob != nil, m.GlobalJob != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return errdefs.InvalidParameter("must specify only one service mode")
	}
	switch {
	case m.Global != nil:
		spec.Mode = &swarmapi.ServiceSpec_Global{Global: &swarmapi.GlobalService{}}
	case m.GlobalJob != nil:
		spec.Mode = &swarmapi.ServiceSpec_GlobalJob{GlobalJob: &swarmapi.GlobalJob{}}
	case m.ReplicatedJob != nil:
		// dockerd's defaults: one at a time, as many completions as
		// concurrent tasks.
		j := &swarmapi.ReplicatedJob{MaxConcurrent: 1}
		if m.ReplicatedJob.MaxConcurrent != nil {
			j.MaxConcurrent = *m.ReplicatedJob.MaxConcurrent
		}
		j.TotalCompletions = j.MaxConcurrent
		if m.ReplicatedJob.TotalCompletions != nil {
			j.TotalCompletions = *m.ReplicatedJob.TotalCompletions
		}
		spec.Mode = &swarmapi.ServiceSpec_ReplicatedJob{ReplicatedJob: j}
	case m.Replicated != nil && m.Replicated.Replicas != nil:
		spec.Mode = &swarmapi.ServiceSpec_Replicated{Replicated: &swarmapi.ReplicatedService{Replicas: *m.Replicated.Replicas}}
	default:
		spec.Mode = &swarmapi.ServiceSpec_Replicated{Replicated: &swarmapi.ReplicatedService{Replicas: 1}}
	}
	return nil
}
