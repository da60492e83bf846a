package swarm

import (
	"context"
	"net/http"

	"github.com/berth-project/berth/apiserver/httputils"
)

func (s *swarmRouter) getTasks(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	f, err := listFilters(r)
	if err != nil {
		return err
	}
	tasks, err := s.b.GetTasks(ctx, f)
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, nonNil(tasks))
}

func (s *swarmRouter) getTask(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	t, err := s.b.GetTask(ctx, vars["id"])
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, t)
}
