package swarm

import (
	"context"
	"net/http"

	"github.com/berth-project/berth/apiserver/httputils"
	"github.com/berth-project/berth/internal/filters"
	"github.com/moby/moby/api/types/swarm"
)

// listFilters parses ?filters=; which names each list accepts is the
// Backend's to check (dockerd checks them in its cluster, after knowing it
// is a manager).
func listFilters(r *http.Request) (filters.Args, error) {
	if err := httputils.ParseForm(r); err != nil {
		return filters.Args{}, err
	}
	return filters.Parse(r.Form.Get("filters"))
}

// nonNil keeps empty lists "[]" on the wire, as dockerd sends them.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (s *swarmRouter) getNodes(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	f, err := listFilters(r)
	if err != nil {
		return err
	}
	nodes, err := s.b.GetNodes(ctx, f)
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, nonNil(nodes))
}

func (s *swarmRouter) getNode(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	n, err := s.b.GetNode(ctx, vars["id"])
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, n)
}

func (s *swarmRouter) updateNode(ctx context.Context, _ http.ResponseWriter, r *http.Request, vars map[string]string) error {
	var spec swarm.NodeSpec
	if err := httputils.ReadJSON(r, &spec); err != nil {
		return err
	}
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	version, err := objectVersion(r, "node")
	if err != nil {
		return err
	}
	return s.b.UpdateNode(ctx, vars["id"], version, spec)
}

func (s *swarmRouter) removeNode(ctx context.Context, _ http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	return s.b.RemoveNode(ctx, vars["id"], httputils.BoolValue(r, "force"))
}
