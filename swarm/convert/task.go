package convert

import (
	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"
)

// TaskFromGRPC converts a task object to GET /tasks/{id}'s body. States are
// swarmkit's names in lower case ("running", "complete", "orphaned"...).
// The error is kept for dockerd's signature; no task spec fails today.
func TaskFromGRPC(t swarmapi.Task) (types.Task, error) {
	out := types.Task{
		ID:          t.ID,
		Meta:        metaFromGRPC(t.Meta),
		Annotations: annotationsFromGRPC(t.Annotations),
		Spec:        taskSpecFromGRPC(t.Spec),
		ServiceID:   t.ServiceID,
		Slot:        int(t.Slot),
		NodeID:      t.NodeID,
		Status: types.TaskStatus{
			Timestamp: timeFromProto(t.Status.Timestamp),
			State:     types.TaskState(lowerEnum(t.Status.State)),
			Message:   t.Status.Message,
			Err:       t.Status.Err,
		},
		DesiredState:     types.TaskState(lowerEnum(t.DesiredState)),
		GenericResources: GenericResourcesFromGRPC(t.AssignedGenericResources),
	}
	if c := t.Status.GetContainer(); c != nil {
		out.Status.ContainerStatus = &types.ContainerStatus{ContainerID: c.ContainerID, PID: int(c.PID), ExitCode: int(c.ExitCode)}
	}
	if ps := t.Status.PortStatus; ps != nil {
		out.Status.PortStatus.Ports = portsFromGRPC(ps.Ports)
	}
	for _, na := range t.Networks {
		out.NetworksAttachments = append(out.NetworksAttachments, networkAttachmentFromGRPC(na))
	}
	if t.JobIteration != nil {
		out.JobIteration = &types.Version{Index: t.JobIteration.Index}
	}
	for _, v := range t.Volumes {
		if v == nil {
			continue
		}
		out.Volumes = append(out.Volumes, types.VolumeAttachment{ID: v.ID, Source: v.Source, Target: v.Target})
	}
	return out, nil
}
