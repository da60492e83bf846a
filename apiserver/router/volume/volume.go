// Package volume serves the volume routes of the Engine API: list,
// create, inspect, remove and prune of local volumes. Cluster (swarm CSI)
// volumes are not implemented.
package volume

import (
	"context"
	"net/http"

	"github.com/berth-project/berth/apiserver/httputils"
	"github.com/berth-project/berth/apiserver/router"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
	"github.com/moby/moby/api/types/volume"
)

type volumeRouter struct{ b Backend }

// NewRouter returns the volume routes backed by b.
func NewRouter(b Backend) router.Router {
	v := &volumeRouter{b: b}
	return router.Func(func() []router.Route {
		return []router.Route{
			router.Get("/volumes", v.list),
			router.Post("/volumes/create", v.create),
			router.Post("/volumes/prune", v.prune),
			router.Get("/volumes/{name:.*}", v.inspect),
			router.Put("/volumes/{name:.*}", v.update),
			router.Delete("/volumes/{name:.*}", v.remove),
		}
	})
}

func (v *volumeRouter) list(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	f, err := filters.Parse(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	vols, warnings, err := v.b.VolumeList(ctx, f)
	if err != nil {
		return err
	}
	if vols == nil {
		vols = []volume.Volume{}
	}
	// Warnings stays null when there are none, as Docker sends it.
	return httputils.WriteJSON(w, http.StatusOK, &volume.ListResponse{Volumes: vols, Warnings: warnings})
}

func (v *volumeRouter) inspect(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	vol, err := v.b.VolumeInspect(ctx, vars["name"])
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, vol)
}

func (v *volumeRouter) create(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	var req volume.CreateRequest
	if err := httputils.ReadJSON(r, &req); err != nil {
		return err
	}
	if req.ClusterVolumeSpec != nil && httputils.VersionAtLeast(ctx, "1.42") {
		return errdefs.NotImplemented("cluster volumes are not implemented")
	}
	vol, err := v.b.VolumeCreate(ctx, req)
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusCreated, vol)
}

// update is PUT /volumes/{name}, which only exists for cluster volumes.
func (v *volumeRouter) update(context.Context, http.ResponseWriter, *http.Request, map[string]string) error {
	return errdefs.NotImplemented("volume update only valid for cluster volumes, and cluster volumes are not implemented")
}

func (v *volumeRouter) remove(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	if err := v.b.VolumeRemove(ctx, vars["name"], httputils.BoolValue(r, "force")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (v *volumeRouter) prune(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	f, err := filters.Parse(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	// Before API 1.42 prune removed every unused volume, named or not.
	if !httputils.VersionAtLeast(ctx, "1.42") {
		f.Add("all", "true")
	}
	rep, err := v.b.VolumesPrune(ctx, f)
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, rep)
}
