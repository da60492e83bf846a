// Package build serves the build-cache routes of the Engine API that exist
// before the builder does: POST /build/prune, which `docker system prune`
// and `docker builder prune` call. Building itself (/build) still answers
// 501 through the notimpl fallback until the builder issue adds its routes.
package build

import (
	"context"
	"net/http"

	"github.com/berth-project/berth/apiserver/httputils"
	"github.com/berth-project/berth/apiserver/router"
	"github.com/berth-project/berth/internal/filters"
	"github.com/moby/moby/api/types/build"
)

// Backend prunes the build cache.
type Backend interface {
	BuildCachePrune(ctx context.Context, all bool, f filters.Args) (*build.CachePruneReport, error)
}

type buildRouter struct{ b Backend }

// NewRouter returns the build-cache routes backed by b.
func NewRouter(b Backend) router.Router {
	br := &buildRouter{b: b}
	return router.Func(func() []router.Route {
		return []router.Route{router.Post("/build/prune", br.prune)}
	})
}

func (br *buildRouter) prune(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	f, err := filters.Parse(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	rep, err := br.b.BuildCachePrune(ctx, httputils.BoolValue(r, "all"), f)
	if err != nil {
		return err
	}
	if rep.CachesDeleted == nil {
		rep.CachesDeleted = []string{}
	}
	return httputils.WriteJSON(w, http.StatusOK, rep)
}
