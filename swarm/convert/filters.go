package convert

import (
	"strings"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"
)

// The filter keys dockerd accepts for each list; any other key is refused
// with "invalid filter 'x'". "name" and "id" are prefixes, "label" is
// key or key=value (all terms must match), as swarmkit evaluates them.
var (
	serviceFilterKeys = []string{"name", "id", "label", "mode", "runtime"}
	nodeFilterKeys    = []string{"name", "id", "label", "role", "membership", "node.label"}
	// "_up-to-date" is not for users: the docker CLI's progress display
	// (service create/update without --detach) sends it.
	taskFilterKeys   = []string{"name", "id", "label", "service", "node", "desired-state", "_up-to-date", "runtime"}
	secretFilterKeys = []string{"names", "name", "id", "label"}
	configFilterKeys = []string{"name", "id", "label"}
)

// ServiceFilters builds GET /services' swarmkit filter. Without a runtime
// filter only container services are listed, as in dockerd. "mode" cannot
// be asked of swarmkit: apply MatchService to each converted service.
func ServiceFilters(f filters.Args) (*swarmapi.ListServicesRequest_Filters, error) {
	if err := f.Validate(serviceFilterKeys...); err != nil {
		return nil, err
	}
	out := &swarmapi.ListServicesRequest_Filters{
		NamePrefixes: f.Get("name"),
		IDPrefixes:   f.Get("id"),
		Labels:       labelsFilter(f.Get("label")),
		Runtimes:     f.Get("runtime"),
	}
	if len(out.Runtimes) == 0 {
		out.Runtimes = []string{string(types.RuntimeContainer)}
	}
	return out, nil
}

// MatchService applies the service filters swarmkit's request cannot
// carry: "mode" (replicated, global, replicated-job, global-job).
func MatchService(f filters.Args, s types.Service) bool {
	if !f.Contains("mode") {
		return true
	}
	mode := ""
	switch m := s.Spec.Mode; {
	case m.Replicated != nil:
		mode = "replicated"
	case m.Global != nil:
		mode = "global"
	case m.ReplicatedJob != nil:
		mode = "replicated-job"
	case m.GlobalJob != nil:
		mode = "global-job"
	}
	return f.ExactMatch("mode", mode)
}

// NodeFilters builds GET /nodes' swarmkit filter. Every node filter is
// evaluated by swarmkit ("role" on the node's current role, "membership"
// pending|accepted, "label" on engine labels, "node.label" on the node's
// own labels), so there is no MatchNode.
func NodeFilters(f filters.Args) (*swarmapi.ListNodesRequest_Filters, error) {
	if err := f.Validate(nodeFilterKeys...); err != nil {
		return nil, err
	}
	out := &swarmapi.ListNodesRequest_Filters{
		NamePrefixes: f.Get("name"),
		IDPrefixes:   f.Get("id"),
		Labels:       labelsFilter(f.Get("label")),
		NodeLabels:   labelsFilter(f.Get("node.label")),
	}
	for _, r := range f.Get("role") {
		if v, ok := swarmapi.NodeRole_value[strings.ToUpper(r)]; ok {
			out.Roles = append(out.Roles, swarmapi.NodeRole(v))
		} else if r != "" {
			return nil, errdefs.InvalidParameter("Invalid role filter: '%s'", r)
		}
	}
	for _, m := range f.Get("membership") {
		if v, ok := swarmapi.NodeSpec_Membership_value[strings.ToUpper(m)]; ok {
			out.Memberships = append(out.Memberships, swarmapi.NodeSpec_Membership(v))
		} else if m != "" {
			return nil, errdefs.InvalidParameter("Invalid membership filter: '%s'", m)
		}
	}
	return out, nil
}

// TaskFilters builds GET /tasks' swarmkit filter. "service" and "node"
// must already hold IDs (dockerd resolves names, and "self", first);
// without a runtime filter only container tasks are listed, as in dockerd.
func TaskFilters(f filters.Args) (*swarmapi.ListTasksRequest_Filters, error) {
	if err := f.Validate(taskFilterKeys...); err != nil {
		return nil, err
	}
	out := &swarmapi.ListTasksRequest_Filters{
		NamePrefixes: f.Get("name"),
		IDPrefixes:   f.Get("id"),
		Labels:       labelsFilter(f.Get("label")),
		ServiceIDs:   f.Get("service"),
		NodeIDs:      f.Get("node"),
		UpToDate:     len(f.Get("_up-to-date")) != 0,
		Runtimes:     f.Get("runtime"),
	}
	if len(out.Runtimes) == 0 {
		// "" too: tasks created before swarmkit recorded a runtime.
		out.Runtimes = []string{string(types.RuntimeContainer), ""}
	}
	for _, s := range f.Get("desired-state") {
		if v, ok := swarmapi.TaskState_value[strings.ToUpper(s)]; ok {
			out.DesiredStates = append(out.DesiredStates, swarmapi.TaskState(v))
		} else if s != "" {
			return nil, errdefs.InvalidParameter("Invalid desired-state filter: '%s'", s)
		}
	}
	return out, nil
}

// MatchTask applies the task filters a converted task can decide: "id"
// (prefix), "service" and "node" (IDs), "desired-state". After ListTasks
// with TaskFilters it changes nothing (swarmkit evaluated them already); it
// is for tasks obtained another way (a watch, a list by service). "name",
// "label" (the service's labels), "runtime" and "_up-to-date" need
// swarmkit's objects and are not checked here.
func MatchTask(f filters.Args, t types.Task) bool {
	if !f.FuzzyMatch("id", t.ID) || !f.ExactMatch("service", t.ServiceID) || !f.ExactMatch("node", t.NodeID) {
		return false
	}
	states := f.Get("desired-state")
	if len(states) == 0 {
		return true
	}
	for _, s := range states {
		if strings.EqualFold(s, string(t.DesiredState)) {
			return true
		}
	}
	return false
}

// SecretFilters builds GET /secrets' swarmkit filter ("names" is exact,
// "name" a prefix).
func SecretFilters(f filters.Args) (*swarmapi.ListSecretsRequest_Filters, error) {
	if err := f.Validate(secretFilterKeys...); err != nil {
		return nil, err
	}
	return &swarmapi.ListSecretsRequest_Filters{
		Names:        f.Get("names"),
		NamePrefixes: f.Get("name"),
		IDPrefixes:   f.Get("id"),
		Labels:       labelsFilter(f.Get("label")),
	}, nil
}

// ConfigFilters builds GET /configs' swarmkit filter.
func ConfigFilters(f filters.Args) (*swarmapi.ListConfigsRequest_Filters, error) {
	if err := f.Validate(configFilterKeys...); err != nil {
		return nil, err
	}
	return &swarmapi.ListConfigsRequest_Filters{
		NamePrefixes: f.Get("name"),
		IDPrefixes:   f.Get("id"),
		Labels:       labelsFilter(f.Get("label")),
	}, nil
}

// labelsFilter turns "key" and "key=value" terms into swarmkit's map, where
// an empty value means "has the key".
func labelsFilter(terms []string) map[string]string {
	if len(terms) == 0 {
		return nil
	}
	out := make(map[string]string, len(terms))
	for _, t := range terms {
		k, v, _ := strings.Cut(t, "=")
		out[k] = v
	}
	return out
}
