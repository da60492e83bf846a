package convert

import (
	"net/netip"
	"strings"

	types "github.com/moby/moby/api/types/swarm"
	"github.com/moby/swarmkit/v2/api"
)

// taskState maps swarmkit's TaskState (NEW, PENDING... "COMPLETE") to the
// API's lower-case names.
func taskState(s api.TaskState) types.TaskState {
	return types.TaskState(strings.ToLower(s.String()))
}

// TaskFromGRPC converts a task.
func TaskFromGRPC(t api.Task) (types.Task, error) {
	out := types.Task{
		ID:           t.ID,
		Meta:         meta(t.Meta),
		Annotations:  annotations(t.Annotations),
		Spec:         taskSpecFromGRPC(t.Spec),
		ServiceID:    t.ServiceID,
		Slot:         int(t.Slot),
		NodeID:       t.NodeID,
		DesiredState: taskState(t.DesiredState),
		Status: types.TaskStatus{
			Timestamp: timeOf(t.Status.Timestamp),
			State:     taskState(t.Status.State),
			Message:   t.Status.Message,
			Err:       t.Status.Err,
		},
	}
	if cs := t.Status.GetContainer(); cs != nil {
		out.Status.ContainerStatus = &types.ContainerStatus{ContainerID: cs.ContainerID, PID: int(cs.PID), ExitCode: int(cs.ExitCode)}
	}
	if ps := t.Status.PortStatus; ps != nil {
		for _, p := range ps.Ports {
			out.Status.PortStatus.Ports = append(out.Status.PortStatus.Ports, portFromGRPC(p))
		}
	}
	for _, na := range t.Networks {
		if na.Network == nil {
			continue
		}
		att := types.NetworkAttachment{Network: types.Network{ID: na.Network.ID, Meta: meta(na.Network.Meta)}}
		for _, a := range na.Addresses {
			if p, err := netip.ParsePrefix(a); err == nil {
				att.Addresses = append(att.Addresses, p)
			}
		}
		out.NetworksAttachments = append(out.NetworksAttachments, att)
	}
	if t.JobIteration != nil {
		out.JobIteration = &types.Version{Index: t.JobIteration.Index}
	}
	return out, nil
}
