package convert

import (
	"testing"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"
)

func args(pairs ...string) filters.Args {
	a := filters.NewArgs()
	for i := 0; i+1 < len(pairs); i += 2 {
		a.Add(pairs[i], pairs[i+1])
	}
	return a
}

// errCase is a filter set that must be refused with exactly this message.
type errCase struct {
	f    filters.Args
	want string
}

func checkErrs(t *testing.T, name string, conv func(filters.Args) error, cases []errCase) {
	t.Helper()
	for _, c := range cases {
		err := conv(c.f)
		if err == nil || err.Error() != c.want || !errdefs.IsInvalidParameter(err) {
			t.Errorf("%s %s: got %v, want %q", name, c.f, err, c.want)
		}
	}
}

func TestServiceFilters(t *testing.T) {
	got, err := ServiceFilters(args("name", "web", "id", "abc", "label", "tier=front", "label", "stack", "mode", "global"))
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, "filters", got, &swarmapi.ListServicesRequest_Filters{
		NamePrefixes: []string{"web"}, IDPrefixes: []string{"abc"},
		Labels: map[string]string{"tier": "front", "stack": ""}, Runtimes: []string{"container"},
	})
	got, _ = ServiceFilters(args("runtime", "plugin"))
	assertEqual(t, "runtime", got.Runtimes, []string{"plugin"})
	checkErrs(t, "services", func(f filters.Args) error { _, err := ServiceFilters(f); return err }, []errCase{
		{args("node", "x"), "invalid filter 'node'"},
		{args("desired-state", "running"), "invalid filter 'desired-state'"},
	})
}

func TestMatchService(t *testing.T) {
	svc := func(m types.ServiceMode) types.Service { return types.Service{Spec: types.ServiceSpec{Mode: m}} }
	repl := svc(types.ServiceMode{Replicated: &types.ReplicatedService{}})
	glob := svc(types.ServiceMode{Global: &types.GlobalService{}})
	rjob := svc(types.ServiceMode{ReplicatedJob: &types.ReplicatedJob{}})
	gjob := svc(types.ServiceMode{GlobalJob: &types.GlobalJob{}})
	cases := []struct {
		f    filters.Args
		s    types.Service
		want bool
	}{
		{args(), glob, true},
		{args("name", "zzz"), glob, true}, // swarmkit's business, not MatchService's
		{args("mode", "global"), glob, true},
		{args("mode", "global"), repl, false},
		{args("mode", "replicated"), repl, true},
		{args("mode", "replicated"), rjob, false},
		{args("mode", "replicated-job"), rjob, true},
		{args("mode", "global-job"), gjob, true},
		{args("mode", "global-job", "mode", "replicated"), repl, true},
		{args("mode", "Global"), glob, false}, // exact, as dockerd
	}
	for _, c := range cases {
		if got := MatchService(c.f, c.s); got != c.want {
			t.Errorf("%s on %+v: got %v", c.f, c.s.Spec.Mode, got)
		}
	}
}

func TestNodeFilters(t *testing.T) {
	got, err := NodeFilters(args("name", "node-", "id", "a1", "label", "ssd=true", "node.label", "zone=a", "role", "manager", "role", "WORKER", "membership", "accepted"))
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, "filters", got, &swarmapi.ListNodesRequest_Filters{
		NamePrefixes: []string{"node-"}, IDPrefixes: []string{"a1"},
		Labels: map[string]string{"ssd": "true"}, NodeLabels: map[string]string{"zone": "a"},
		Roles:       []swarmapi.NodeRole{swarmapi.NodeRoleWorker, swarmapi.NodeRoleManager},
		Memberships: []swarmapi.NodeSpec_Membership{swarmapi.NodeMembershipAccepted},
	})
	checkErrs(t, "nodes", func(f filters.Args) error { _, err := NodeFilters(f); return err }, []errCase{
		{args("role", "boss"), "Invalid role filter: 'boss'"},
		{args("membership", "maybe"), "Invalid membership filter: 'maybe'"},
		{args("availability", "active"), "invalid filter 'availability'"},
	})
}

func TestTaskFilters(t *testing.T) {
	got, err := TaskFilters(args("name", "web.1", "id", "t1", "label", "a=b", "service", "svcid", "node", "nodeid",
		"desired-state", "running", "desired-state", "Shutdown", "_up-to-date", "true"))
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, "filters", got, &swarmapi.ListTasksRequest_Filters{
		NamePrefixes: []string{"web.1"}, IDPrefixes: []string{"t1"}, Labels: map[string]string{"a": "b"},
		ServiceIDs: []string{"svcid"}, NodeIDs: []string{"nodeid"},
		DesiredStates: []swarmapi.TaskState{swarmapi.TaskStateShutdown, swarmapi.TaskStateRunning},
		UpToDate:      true, Runtimes: []string{"container", ""},
	})
	got, _ = TaskFilters(args("desired-state", "accepted", "runtime", "attachment"))
	assertEqual(t, "accepted", got.DesiredStates, []swarmapi.TaskState{swarmapi.TaskStateAccepted})
	assertEqual(t, "runtime", got.Runtimes, []string{"attachment"})
	checkErrs(t, "tasks", func(f filters.Args) error { _, err := TaskFilters(f); return err }, []errCase{
		{args("desired-state", "sleeping"), "Invalid desired-state filter: 'sleeping'"},
		{args("up-to-date", "1"), "invalid filter 'up-to-date'"},
		{args("mode", "global"), "invalid filter 'mode'"},
	})
}

func TestMatchTask(t *testing.T) {
	task := types.Task{ID: "abcdef", ServiceID: "svc1", NodeID: "node1", DesiredState: types.TaskStateRunning}
	cases := []struct {
		f    filters.Args
		want bool
	}{
		{args(), true},
		{args("id", "abc"), true},
		{args("id", "bcd"), false},
		{args("service", "svc1"), true},
		{args("service", "svc"), false}, // IDs, exact as swarmkit's ServiceIDs
		{args("node", "node1", "node", "node2"), true},
		{args("node", "node2"), false},
		{args("desired-state", "running"), true},
		{args("desired-state", "RUNNING"), true},
		{args("desired-state", "shutdown", "desired-state", "accepted"), false},
		{args("name", "nomatch", "label", "x"), true}, // left to swarmkit
	}
	for _, c := range cases {
		if got := MatchTask(c.f, task); got != c.want {
			t.Errorf("%s: got %v", c.f, got)
		}
	}
}

func TestSecretAndConfigFilters(t *testing.T) {
	s, err := SecretFilters(args("names", "exact", "name", "pre", "id", "i", "label", "k"))
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, "secrets", s, &swarmapi.ListSecretsRequest_Filters{Names: []string{"exact"}, NamePrefixes: []string{"pre"}, IDPrefixes: []string{"i"}, Labels: map[string]string{"k": ""}})
	c, err := ConfigFilters(args("name", "pre", "id", "i", "label", "k=v=w"))
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, "configs", c, &swarmapi.ListConfigsRequest_Filters{NamePrefixes: []string{"pre"}, IDPrefixes: []string{"i"}, Labels: map[string]string{"k": "v=w"}})
	checkErrs(t, "secrets", func(f filters.Args) error { _, err := SecretFilters(f); return err }, []errCase{{args("driver", "x"), "invalid filter 'driver'"}})
	checkErrs(t, "configs", func(f filters.Args) error { _, err := ConfigFilters(f); return err }, []errCase{{args("names", "x"), "invalid filter 'names'"}})
	if s, _ := SecretFilters(filters.NewArgs()); s.Labels != nil || s.Names != nil {
		t.Fatalf("empty filters: %+v", s)
	}
}
