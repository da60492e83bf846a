package convert

import (
	"testing"
	"time"

	"github.com/moby/moby/api/types/network"
	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"
)

func TestTaskStates(t *testing.T) {
	want := map[swarmapi.TaskState]types.TaskState{
		swarmapi.TaskStateNew: "new", swarmapi.TaskStatePending: "pending", swarmapi.TaskStateAssigned: "assigned",
		swarmapi.TaskStateAccepted: "accepted", swarmapi.TaskStatePreparing: "preparing", swarmapi.TaskStateReady: "ready",
		swarmapi.TaskStateStarting: "starting", swarmapi.TaskStateRunning: "running", swarmapi.TaskStateCompleted: "complete",
		swarmapi.TaskStateShutdown: "shutdown", swarmapi.TaskStateFailed: "failed", swarmapi.TaskStateRejected: "rejected",
		swarmapi.TaskStateRemove: "remove", swarmapi.TaskStateOrphaned: "orphaned",
	}
	if len(want) != len(swarmapi.TaskState_name) {
		t.Fatalf("swarmkit has %d task states, the table %d", len(swarmapi.TaskState_name), len(want))
	}
	for in, out := range want {
		got, err := TaskFromGRPC(swarmapi.Task{Status: swarmapi.TaskStatus{State: in}, DesiredState: in})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status.State != out || got.DesiredState != out {
			t.Errorf("%v: %q/%q, want %q", in, got.Status.State, got.DesiredState, out)
		}
	}
}

func TestTaskFromGRPC(t *testing.T) {
	at := time.Date(2026, 12, 7, 11, 0, 0, 5, time.UTC)
	spec, err := ServiceSpecToGRPC(richSpec())
	if err != nil {
		t.Fatal(err)
	}
	task := swarmapi.Task{
		ID:          "taskid",
		Meta:        swarmapi.Meta{Version: swarmapi.Version{Index: 77}, CreatedAt: ts(t, at), UpdatedAt: ts(t, at)},
		Spec:        spec.Task,
		ServiceID:   "svcid",
		Slot:        3,
		NodeID:      "nodeid",
		Annotations: swarmapi.Annotations{Name: "web.3.taskid"},
		Status: swarmapi.TaskStatus{
			Timestamp:     ts(t, at),
			State:         swarmapi.TaskStateFailed,
			Message:       "started",
			Err:           "task: non-zero exit (1)",
			RuntimeStatus: &swarmapi.TaskStatus_Container{Container: &swarmapi.ContainerStatus{ContainerID: "cid", PID: 4242, ExitCode: 1}},
			PortStatus:    &swarmapi.PortStatus{Ports: []*swarmapi.PortConfig{{Protocol: swarmapi.ProtocolUDP, TargetPort: 53, PublishedPort: 30053, PublishMode: swarmapi.PublishModeHost}}},
		},
		DesiredState: swarmapi.TaskStateShutdown,
		Networks: []*swarmapi.NetworkAttachment{{
			Network: &swarmapi.Network{
				ID:          "ingressid",
				Spec:        swarmapi.NetworkSpec{Annotations: swarmapi.Annotations{Name: "ingress"}, Ingress: true, DriverConfig: &swarmapi.Driver{Name: "overlay"}},
				DriverState: &swarmapi.Driver{Name: "overlay", Options: map[string]string{"com.docker.network.driver.overlay.vxlanid_list": "4096"}},
				IPAM:        &swarmapi.IPAMOptions{Driver: &swarmapi.Driver{Name: "default"}, Configs: []*swarmapi.IPAMConfig{{Subnet: "10.0.0.0/24", Gateway: "10.0.0.1"}}},
			},
			Addresses: []string{"10.0.0.9/24"},
		}},
		AssignedGenericResources: []*swarmapi.GenericResource{{Resource: &swarmapi.GenericResource_NamedResourceSpec{NamedResourceSpec: &swarmapi.NamedGenericResource{Kind: "GPU", Value: "UUID1"}}}},
		JobIteration:             &swarmapi.Version{Index: 2},
		Volumes:                  []*swarmapi.VolumeAttachment{{ID: "v", Source: "s", Target: "/t"}},
	}
	got, err := TaskFromGRPC(task)
	if err != nil {
		t.Fatal(err)
	}
	wantSpec := richSpec().TaskTemplate
	wantSpec.Runtime = "" // dockerd names the runtime on services only
	assertEqual(t, "task spec", got.Spec, wantSpec)
	assertEqual(t, "status", got.Status, types.TaskStatus{
		Timestamp: at, State: types.TaskStateFailed, Message: "started", Err: "task: non-zero exit (1)",
		ContainerStatus: &types.ContainerStatus{ContainerID: "cid", PID: 4242, ExitCode: 1},
		PortStatus:      types.PortStatus{Ports: []types.PortConfig{{Protocol: network.UDP, TargetPort: 53, PublishedPort: 30053, PublishMode: types.PortConfigPublishModeHost}}},
	})
	if got.ID != "taskid" || got.Version.Index != 77 || !got.CreatedAt.Equal(at) || got.ServiceID != "svcid" || got.Slot != 3 ||
		got.NodeID != "nodeid" || got.Name != "web.3.taskid" || got.DesiredState != types.TaskStateShutdown {
		t.Fatalf("task: %+v", got)
	}
	if len(got.NetworksAttachments) != 1 {
		t.Fatalf("attachments: %+v", got.NetworksAttachments)
	}
	na := got.NetworksAttachments[0]
	if na.Network.ID != "ingressid" || !na.Network.Spec.Ingress || na.Network.Spec.Scope != "swarm" || na.Network.DriverState.Name != "overlay" ||
		na.Network.IPAMOptions == nil || na.Network.IPAMOptions.Configs[0].Subnet != mustPrefix("10.0.0.0/24") ||
		na.Network.IPAMOptions.Configs[0].Gateway.String() != "10.0.0.1" || len(na.Addresses) != 1 || na.Addresses[0] != mustPrefix("10.0.0.9/24") {
		t.Fatalf("attachment: %+v", na)
	}
	if len(got.GenericResources) != 1 || got.GenericResources[0].NamedResourceSpec.Value != "UUID1" {
		t.Fatalf("generic resources: %+v", got.GenericResources)
	}
	if got.JobIteration == nil || got.JobIteration.Index != 2 || len(got.Volumes) != 1 {
		t.Fatalf("job iteration %+v volumes %+v", got.JobIteration, got.Volumes)
	}

	// A task without a runtime status has no ContainerStatus.
	bare, _ := TaskFromGRPC(swarmapi.Task{})
	if bare.Status.ContainerStatus != nil || bare.Status.PortStatus.Ports != nil || bare.Labels == nil {
		t.Fatalf("bare task: %+v", bare)
	}
}
