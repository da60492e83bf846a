package convert

import (
	"testing"
	"time"

	"github.com/berth-project/berth/internal/errdefs"
	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"
)

func TestNodeFromGRPC(t *testing.T) {
	created := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	n := swarmapi.Node{
		ID:   "nodeid",
		Meta: swarmapi.Meta{Version: swarmapi.Version{Index: 12}, CreatedAt: ts(t, created), UpdatedAt: ts(t, created)},
		Spec: swarmapi.NodeSpec{
			Annotations:  swarmapi.Annotations{Labels: map[string]string{"zone": "a"}},
			DesiredRole:  swarmapi.NodeRoleManager,
			Membership:   swarmapi.NodeMembershipAccepted,
			Availability: swarmapi.NodeAvailabilityDrain,
		},
		Description: &swarmapi.NodeDescription{
			Hostname:  "node-1",
			Platform:  &swarmapi.Platform{Architecture: "x86_64", OS: "linux"},
			Resources: &swarmapi.Resources{NanoCPUs: 2e9, MemoryBytes: 4 << 30},
			Engine: &swarmapi.EngineDescription{EngineVersion: "28.0.0", Labels: map[string]string{"ssd": "true"},
				Plugins: []swarmapi.PluginDescription{{Type: "Network", Name: "overlay"}, {Type: "Volume", Name: "local"}}},
			TLSInfo: &swarmapi.NodeTLSInfo{TrustRoot: []byte("ROOT"), CertIssuerSubject: []byte("subj"), CertIssuerPublicKey: []byte("pub")},
		},
		Status:        swarmapi.NodeStatus{State: swarmapi.NodeStatus_READY, Message: "ok", Addr: "10.1.0.2"},
		ManagerStatus: &swarmapi.ManagerStatus{Leader: true, Reachability: swarmapi.RaftMemberStatus_REACHABLE, Addr: "10.1.0.2:2377"},
	}
	want := types.Node{
		ID:   "nodeid",
		Meta: types.Meta{Version: types.Version{Index: 12}, CreatedAt: created, UpdatedAt: created},
		Spec: types.NodeSpec{Annotations: types.Annotations{Labels: map[string]string{"zone": "a"}}, Role: types.NodeRoleManager, Availability: types.NodeAvailabilityDrain},
		Description: types.NodeDescription{
			Hostname:  "node-1",
			Platform:  types.Platform{Architecture: "x86_64", OS: "linux"},
			Resources: types.Resources{NanoCPUs: 2e9, MemoryBytes: 4 << 30},
			Engine: types.EngineDescription{EngineVersion: "28.0.0", Labels: map[string]string{"ssd": "true"},
				Plugins: []types.PluginDescription{{Type: "Network", Name: "overlay"}, {Type: "Volume", Name: "local"}}},
			TLSInfo: types.TLSInfo{TrustRoot: "ROOT", CertIssuerSubject: []byte("subj"), CertIssuerPublicKey: []byte("pub")},
		},
		Status:        types.NodeStatus{State: types.NodeStateReady, Message: "ok", Addr: "10.1.0.2"},
		ManagerStatus: &types.ManagerStatus{Leader: true, Reachability: types.ReachabilityReachable, Addr: "10.1.0.2:2377"},
	}
	assertEqual(t, "node", NodeFromGRPC(n), want)

	states := map[swarmapi.NodeStatus_State]types.NodeState{
		swarmapi.NodeStatus_UNKNOWN: types.NodeStateUnknown, swarmapi.NodeStatus_DOWN: types.NodeStateDown,
		swarmapi.NodeStatus_READY: types.NodeStateReady, swarmapi.NodeStatus_DISCONNECTED: types.NodeStateDisconnected,
	}
	for in, out := range states {
		if got := NodeFromGRPC(swarmapi.Node{Status: swarmapi.NodeStatus{State: in}}); got.Status.State != out || got.ManagerStatus != nil {
			t.Errorf("%v: %q", in, got.Status.State)
		}
	}
	if got := NodeFromGRPC(swarmapi.Node{ManagerStatus: &swarmapi.ManagerStatus{Reachability: swarmapi.RaftMemberStatus_UNREACHABLE}}); got.ManagerStatus.Reachability != types.ReachabilityUnreachable {
		t.Errorf("reachability %q", got.ManagerStatus.Reachability)
	}
}

func TestNodeSpecToGRPC(t *testing.T) {
	cases := []struct {
		in      types.NodeSpec
		role    swarmapi.NodeRole
		avail   swarmapi.NodeSpec_Availability
		wantErr string
	}{
		{in: types.NodeSpec{Role: "worker", Availability: "active"}, role: swarmapi.NodeRoleWorker, avail: swarmapi.NodeAvailabilityActive},
		{in: types.NodeSpec{Role: "manager", Availability: "pause"}, role: swarmapi.NodeRoleManager, avail: swarmapi.NodeAvailabilityPause},
		{in: types.NodeSpec{Role: "Manager", Availability: "DRAIN"}, role: swarmapi.NodeRoleManager, avail: swarmapi.NodeAvailabilityDrain},
		{in: types.NodeSpec{Role: "boss", Availability: "active"}, wantErr: `invalid Role: "boss"`},
		{in: types.NodeSpec{Role: "worker", Availability: "x"}, wantErr: `invalid Availability: "x"`},
		{in: types.NodeSpec{Role: "worker"}, wantErr: `invalid Availability: ""`},
		{in: types.NodeSpec{Availability: "active"}, wantErr: `invalid Role: ""`},
	}
	for _, c := range cases {
		got, err := NodeSpecToGRPC(c.in)
		if c.wantErr != "" {
			if err == nil || err.Error() != c.wantErr || !errdefs.IsInvalidParameter(err) {
				t.Errorf("%+v: got %v, want %q", c.in, err, c.wantErr)
			}
			continue
		}
		if err != nil || got.DesiredRole != c.role || got.Availability != c.avail {
			t.Errorf("%+v: %+v %v", c.in, got, err)
		}
	}
	// Labels and name survive the round trip through inspect.
	spec := types.NodeSpec{Annotations: types.Annotations{Name: "n", Labels: map[string]string{"a": "b"}}, Role: types.NodeRoleWorker, Availability: types.NodeAvailabilityPause}
	g, err := NodeSpecToGRPC(spec)
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, "node spec", NodeFromGRPC(swarmapi.Node{Spec: g}).Spec, spec)
}
