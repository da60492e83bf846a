package convert

import (
	"strings"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
	types "github.com/moby/moby/api/types/swarm"
	"github.com/moby/swarmkit/v2/api"
)

// labels turns label=k and label=k=v terms into swarmkit's map (a key with
// an empty value matches any value).
func labels(f filters.Args, key string) map[string]string {
	vals := f.Get(key)
	if len(vals) == 0 {
		return nil
	}
	out := map[string]string{}
	for _, v := range vals {
		k, val, _ := strings.Cut(v, "=")
		out[k] = val
	}
	return out
}

// ServiceFilters maps GET /services filters; mode is applied after
// listing (MatchService).
func ServiceFilters(f filters.Args) (*api.ListServicesRequest_Filters, error) {
	if err := f.Validate("id", "label", "mode", "name", "runtime"); err != nil {
		return nil, err
	}
	for _, m := range f.Get("mode") {
		if m != "replicated" && m != "global" && m != "replicated-job" && m != "global-job" {
			return nil, errdefs.InvalidParameter("Invalid filter: 'type'='%s'", m)
		}
	}
	return &api.ListServicesRequest_Filters{
		NamePrefixes: f.Get("name"),
		IDPrefixes:   f.Get("id"),
		Labels:       labels(f, "label"),
		Runtimes:     f.Get("runtime"),
	}, nil
}

// MatchService applies the filters swarmkit cannot (mode).
func MatchService(f filters.Args, s types.Service) bool {
	modes := f.Get("mode")
	if len(modes) == 0 {
		return true
	}
	m := s.Spec.Mode
	var mode string
	switch {
	case m.Global != nil:
		mode = "global"
	case m.ReplicatedJob != nil:
		mode = "replicated-job"
	case m.GlobalJob != nil:
		mode = "global-job"
	default:
		mode = "replicated"
	}
	for _, want := range modes {
		if want == mode {
			return true
		}
	}
	return false
}

// NodeFilters maps GET /nodes filters.
func NodeFilters(f filters.Args) (*api.ListNodesRequest_Filters, error) {
	if err := f.Validate("id", "label", "membership", "name", "node.label", "role"); err != nil {
		return nil, err
	}
	out := &api.ListNodesRequest_Filters{
		NamePrefixes: f.Get("name"),
		IDPrefixes:   f.Get("id"),
		Labels:       labels(f, "label"),
		NodeLabels:   labels(f, "node.label"),
	}
	for _, r := range f.Get("role") {
		switch r {
		case "manager":
			out.Roles = append(out.Roles, api.NodeRoleManager)
		case "worker":
			out.Roles = append(out.Roles, api.NodeRoleWorker)
		default:
			return nil, errdefs.InvalidParameter("Invalid role filter value: '%s'", r)
		}
	}
	for _, m := range f.Get("membership") {
		switch m {
		case "accepted":
			out.Memberships = append(out.Memberships, api.NodeMembershipAccepted)
		case "pending":
			out.Memberships = append(out.Memberships, api.NodeMembershipPending)
		default:
			return nil, errdefs.InvalidParameter("Invalid membership filter value: '%s'", m)
		}
	}
	return out, nil
}

// TaskFilters maps GET /tasks filters; service and node must already be
// IDs (the cluster resolves names).
func TaskFilters(f filters.Args) (*api.ListTasksRequest_Filters, error) {
	if err := f.Validate("id", "label", "name", "node", "service", "desired-state", "runtime", "up-to-date", "_up-to-date"); err != nil {
		return nil, err
	}
	out := &api.ListTasksRequest_Filters{
		NamePrefixes: f.Get("name"),
		IDPrefixes:   f.Get("id"),
		Labels:       labels(f, "label"),
		ServiceIDs:   f.Get("service"),
		NodeIDs:      f.Get("node"),
		Runtimes:     f.Get("runtime"),
	}
	for _, s := range f.Get("desired-state") {
		switch s {
		case "running":
			out.DesiredStates = append(out.DesiredStates, api.TaskStateRunning)
		case "shutdown":
			out.DesiredStates = append(out.DesiredStates, api.TaskStateShutdown)
		case "accepted":
			out.DesiredStates = append(out.DesiredStates, api.TaskStateAccepted)
		case "ready":
			out.DesiredStates = append(out.DesiredStates, api.TaskStateReady)
		case "complete":
			out.DesiredStates = append(out.DesiredStates, api.TaskStateCompleted)
		default:
			return nil, errdefs.InvalidParameter("Invalid desired-state filter value: '%s'", s)
		}
	}
	if len(f.Get("up-to-date")) > 0 || len(f.Get("_up-to-date")) > 0 {
		out.UpToDate = true
	}
	return out, nil
}

// MatchTask applies what swarmkit's task filters cannot express; all are
// expressible today.
func MatchTask(f filters.Args, t types.Task) bool { return true }

// SecretFilters maps GET /secrets filters.
func SecretFilters(f filters.Args) (*api.ListSecretsRequest_Filters, error) {
	if err := f.Validate("id", "label", "name", "names"); err != nil {
		return nil, err
	}
	return &api.ListSecretsRequest_Filters{Names: f.Get("names"), NamePrefixes: f.Get("name"), IDPrefixes: f.Get("id"), Labels: labels(f, "label")}, nil
}

// ConfigFilters maps GET /configs filters.
func ConfigFilters(f filters.Args) (*api.ListConfigsRequest_Filters, error) {
	if err := f.Validate("id", "label", "name", "names"); err != nil {
		return nil, err
	}
	return &api.ListConfigsRequest_Filters{Names: f.Get("names"), NamePrefixes: f.Get("name"), IDPrefixes: f.Get("id"), Labels: labels(f, "label")}, nil
}
