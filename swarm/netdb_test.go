package swarm

import (
	"context"
	"net/netip"
	"reflect"
	"testing"

	"github.com/moby/swarmkit/v2/api"
	"google.golang.org/grpc"
)

// fakeControl answers the four listings buildCatalog reads.
type fakeControl struct {
	api.ControlClient
	nodes    []*api.Node
	services []*api.Service
	tasks    []*api.Task
	networks []*api.Network
}

func (f fakeControl) ListNodes(context.Context, *api.ListNodesRequest, ...grpc.CallOption) (*api.ListNodesResponse, error) {
	return &api.ListNodesResponse{Nodes: f.nodes}, nil
}

func (f fakeControl) ListServices(context.Context, *api.ListServicesRequest, ...grpc.CallOption) (*api.ListServicesResponse, error) {
	return &api.ListServicesResponse{Services: f.services}, nil
}

func (f fakeControl) ListTasks(context.Context, *api.ListTasksRequest, ...grpc.CallOption) (*api.ListTasksResponse, error) {
	return &api.ListTasksResponse{Tasks: f.tasks}, nil
}

func (f fakeControl) ListNetworks(context.Context, *api.ListNetworksRequest, ...grpc.CallOption) (*api.ListNetworksResponse, error) {
	return &api.ListNetworksResponse{Networks: f.networks}, nil
}

func addrs(s ...string) []netip.Addr {
	var out []netip.Addr
	for _, a := range s {
		out = append(out, netip.MustParseAddr(a))
	}
	return out
}

func TestBuildCatalog(t *testing.T) {
	appnet := &api.Network{ID: "appnet", Spec: api.NetworkSpec{Annotations: api.Annotations{Name: "appnet"}}}
	ingress := &api.Network{ID: "ing", Spec: api.NetworkSpec{Ingress: true, Annotations: api.Annotations{Name: "ingress"}}}
	node := func(id, addr string, st api.NodeStatus_State) *api.Node {
		return &api.Node{ID: id, Status: api.NodeStatus{State: st, Addr: addr}}
	}
	task := func(svc, nodeID string, st api.TaskState, atts ...*api.NetworkAttachment) *api.Task {
		return &api.Task{ServiceID: svc, NodeID: nodeID, DesiredState: api.TaskStateRunning, Status: api.TaskStatus{State: st}, Networks: atts}
	}
	att := func(n *api.Network, addr string) *api.NetworkAttachment {
		return &api.NetworkAttachment{Network: n, Addresses: []string{addr}}
	}
	web := &api.Service{ID: "w", Spec: api.ServiceSpec{Annotations: api.Annotations{Name: "web"},
		Task: api.TaskSpec{Networks: []*api.NetworkAttachmentConfig{{Target: "appnet", Aliases: []string{"www"}}}}},
		Endpoint: &api.Endpoint{
			Ports:      []*api.PortConfig{{Protocol: api.ProtocolTCP, TargetPort: 80, PublishedPort: 8080, PublishMode: api.PublishModeIngress}, {TargetPort: 81, PublishedPort: 81, PublishMode: api.PublishModeHost}},
			VirtualIPs: []*api.Endpoint_VirtualIP{{NetworkID: "appnet", Addr: "10.0.1.2/24"}, {NetworkID: "ing", Addr: "10.0.0.2/24"}}}}
	rr := &api.Service{ID: "r", Spec: api.ServiceSpec{Annotations: api.Annotations{Name: "rr"},
		Task: api.TaskSpec{Networks: []*api.NetworkAttachmentConfig{{Target: "appnet"}}}}}
	cc := fakeControl{
		nodes: []*api.Node{node("n1", "192.0.2.1", api.NodeStatus_READY), node("n2", "192.0.2.2", api.NodeStatus_READY),
			node("n3", "192.0.2.3", api.NodeStatus_DOWN), node("n4", "192.0.2.4", api.NodeStatus_READY)},
		services: []*api.Service{web, rr},
		networks: []*api.Network{appnet, ingress},
		tasks: []*api.Task{
			task("w", "n1", api.TaskStateRunning, att(ingress, "10.0.0.5/24"), att(appnet, "10.0.1.5/24")),
			task("w", "n2", api.TaskStateRunning, att(ingress, "10.0.0.6/24"), att(appnet, "10.0.1.6/24")),
			task("w", "n2", api.TaskStateStarting, att(appnet, "10.0.1.9/24")), // a peer, not yet a backend
			task("w", "n3", api.TaskStateRunning, att(appnet, "10.0.1.10/24")), // on a down node: neither
			task("r", "n1", api.TaskStateRunning, att(appnet, "10.0.1.8/24")),
			task("r", "n1", api.TaskStateShutdown, att(appnet, "10.0.1.11/24")),
		},
	}
	cat, err := buildCatalog(context.Background(), cc)
	if err != nil {
		t.Fatal(err)
	}
	want := &Catalog{Networks: []CatalogNetwork{
		{ID: "appnet", Peers: addrs("192.0.2.1", "192.0.2.2"), Services: []ServiceRecord{
			{ID: "r", Name: "rr", Tasks: addrs("10.0.1.8")},
			{ID: "w", Name: "web", Aliases: []string{"www"}, VIP: netip.MustParseAddr("10.0.1.2"), Tasks: addrs("10.0.1.5", "10.0.1.6")},
		}},
		{ID: "ing", Ingress: true, Peers: addrs("192.0.2.1", "192.0.2.2", "192.0.2.4"), Services: []ServiceRecord{
			{ID: "w", Name: "web", Tasks: addrs("10.0.0.5", "10.0.0.6"), Ports: []MeshPort{{Proto: "tcp", Published: 8080, Target: 80}}},
		}},
	}}
	if !reflect.DeepEqual(cat, want) {
		t.Errorf("catalog:\n got %+v\nwant %+v", cat, want)
	}
}

func TestDataAddr(t *testing.T) {
	none := fakeRemotes(nil)
	for _, c := range []struct {
		st   state
		want string
	}{
		{state{DataPathAddr: "10.1.0.5", AdvertiseAddr: "10.1.0.6:2377"}, "10.1.0.5"},
		{state{AdvertiseAddr: "10.1.0.6:2377"}, "10.1.0.6"},
		{state{AdvertiseAddr: "0.0.0.0:2377"}, "invalid IP"},
	} {
		if got := dataAddr(c.st, none); got.String() != c.want {
			t.Errorf("%+v: %s, want %s", c.st, got, c.want)
		}
	}
}

type fakeRemotes []api.Peer

func (f fakeRemotes) Remotes() []api.Peer { return f }
