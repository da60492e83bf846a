// Package swarm serves the swarm-mode routes of the Engine API: /swarm
// (init, join, leave, inspect, update, unlock), /nodes, /services (with
// their logs), /tasks, /secrets and /configs. It decodes requests as
// dockerd does (lenient JSON, dockerd's query-parameter wording), adapts
// request and response bodies to older API versions, and hands everything
// else to its Backend, package swarm's Cluster. Whether this node is a
// manager, and every error about the objects themselves, is the Backend's
// business; the router only passes its errors on.
package swarm

import (
	"context"
	"net/http"

	"github.com/berth-project/berth/apiserver/httputils"
	"github.com/berth-project/berth/apiserver/router"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/swarm"
)

type swarmRouter struct{ b Backend }

// NewRouter returns the swarm routes backed by b.
func NewRouter(b Backend) router.Router {
	s := &swarmRouter{b: b}
	return router.Func(func() []router.Route {
		return []router.Route{
			router.Post("/swarm/init", s.initCluster),
			router.Post("/swarm/join", s.joinCluster),
			router.Post("/swarm/leave", s.leaveCluster),
			router.Get("/swarm", s.inspectCluster),
			router.Get("/swarm/unlockkey", s.getUnlockKey),
			router.Post("/swarm/update", s.updateCluster),
			router.Post("/swarm/unlock", s.unlockCluster),

			router.Get("/services", s.getServices),
			router.Get("/services/{id}", s.getService),
			router.Post("/services/create", s.createService),
			router.Post("/services/{id}/update", s.updateService),
			router.Delete("/services/{id}", s.removeService),
			router.Get("/services/{id}/logs", s.getServiceLogs),

			router.Get("/nodes", s.getNodes),
			router.Get("/nodes/{id}", s.getNode),
			router.Delete("/nodes/{id}", s.removeNode),
			router.Post("/nodes/{id}/update", s.updateNode),

			router.Get("/tasks", s.getTasks),
			router.Get("/tasks/{id}", s.getTask),
			router.Get("/tasks/{id}/logs", s.getTaskLogs),

			// Secrets came with API 1.25 and configs with 1.30; older
			// clients get dockerd's version error rather than the route.
			since("1.25", router.Get("/secrets", s.getSecrets)),
			since("1.25", router.Post("/secrets/create", s.createSecret)),
			since("1.25", router.Delete("/secrets/{id}", s.removeSecret)),
			since("1.25", router.Get("/secrets/{id}", s.getSecret)),
			since("1.25", router.Post("/secrets/{id}/update", s.updateSecret)),

			since("1.30", router.Get("/configs", s.getConfigs)),
			since("1.30", router.Post("/configs/create", s.createConfig)),
			since("1.30", router.Delete("/configs/{id}", s.removeConfig)),
			since("1.30", router.Get("/configs/{id}", s.getConfig)),
			since("1.30", router.Post("/configs/{id}/update", s.updateConfig)),
		}
	})
}

// since makes a route answer dockerd's "requires minimum API version"
// (400) to clients older than min; dockerd names the route by its pattern.
func since(min string, rt router.Route) router.Route {
	h := rt.Handler
	rt.Handler = func(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
		if !httputils.VersionAtLeast(ctx, min) {
			return errdefs.InvalidParameter("%s %s requires minimum API version %s", rt.Method, rt.Path, min)
		}
		return h(ctx, w, r, vars)
	}
	return rt
}

func (s *swarmRouter) initCluster(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	var req swarm.InitRequest
	if err := httputils.ReadJSON(r, &req); err != nil {
		return err
	}
	// Fields older clients cannot have meant: DefaultAddrPool and
	// SubnetSize came with 1.39, DataPathPort with 1.40.
	if !httputils.VersionAtLeast(ctx, "1.39") {
		req.DefaultAddrPool = nil
		req.SubnetSize = 0
	}
	if !httputils.VersionAtLeast(ctx, "1.40") {
		req.DataPathPort = 0
	}
	if err := validateInit(ctx, s.b, req); err != nil {
		return err
	}
	nodeID, err := s.b.Init(ctx, req)
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, nodeID)
}

// validateInit rejects what dockerd's cluster rejects before acting on an
// init request: no ListenAddr (an empty body; the CLI always sends one)
// and a spec named other than "default". dockerd first answers "already
// part of a swarm" on a node in a swarm, so such a request, unless it
// forces a new cluster, is left to the Backend to refuse.
func validateInit(ctx context.Context, b Backend, req swarm.InitRequest) error {
	if !req.ForceNewCluster {
		switch b.Info(ctx).LocalNodeState {
		case swarm.LocalNodeStateInactive, "":
		default:
			return nil
		}
	}
	if req.ListenAddr == "" {
		return errdefs.InvalidParameter(`invalid ListenAddr "": invalid empty address`)
	}
	if req.Spec.Name != "" && req.Spec.Name != "default" {
		return errdefs.InvalidParameter(`swarm spec must be named "default"`)
	}
	return nil
}

func (s *swarmRouter) joinCluster(ctx context.Context, _ http.ResponseWriter, r *http.Request, _ map[string]string) error {
	var req swarm.JoinRequest
	if err := httputils.ReadJSON(r, &req); err != nil {
		return err
	}
	return s.b.Join(ctx, req)
}

func (s *swarmRouter) leaveCluster(ctx context.Context, _ http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	return s.b.Leave(ctx, httputils.BoolValue(r, "force"))
}

func (s *swarmRouter) inspectCluster(ctx context.Context, w http.ResponseWriter, _ *http.Request, _ map[string]string) error {
	sw, err := s.b.Inspect(ctx)
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, sw)
}

func (s *swarmRouter) updateCluster(ctx context.Context, _ http.ResponseWriter, r *http.Request, _ map[string]string) error {
	var spec swarm.Spec
	if err := httputils.ReadJSON(r, &spec); err != nil {
		return err
	}
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	version, err := objectVersion(r, "swarm")
	if err != nil {
		return err
	}
	var flags UpdateFlags
	for _, f := range []struct {
		name string
		dst  *bool
	}{
		{"rotateWorkerToken", &flags.RotateWorkerToken},
		{"rotateManagerToken", &flags.RotateManagerToken},
		{"rotateManagerUnlockKey", &flags.RotateManagerUnlockKey},
	} {
		if *f.dst, err = strictBool(r, f.name, false); err != nil {
			return err
		}
	}
	return s.b.Update(ctx, version, spec, flags)
}

func (s *swarmRouter) getUnlockKey(ctx context.Context, w http.ResponseWriter, _ *http.Request, _ map[string]string) error {
	key, err := s.b.GetUnlockKey(ctx)
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, &swarm.UnlockKeyResponse{UnlockKey: key})
}

func (s *swarmRouter) unlockCluster(ctx context.Context, _ http.ResponseWriter, r *http.Request, _ map[string]string) error {
	var req swarm.UnlockRequest
	if err := httputils.ReadJSON(r, &req); err != nil {
		return err
	}
	return s.b.Unlock(ctx, req)
}
