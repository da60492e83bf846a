package swarm

import (
	"context"
	"net/http"

	"github.com/berth-project/berth/apiserver/httputils"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/api/types/swarm"
)

func (s *swarmRouter) getServices(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	f, err := listFilters(r)
	if err != nil {
		return err
	}
	// ?status= came with 1.41; dockerd ignores it, even malformed, below.
	var status bool
	if httputils.VersionAtLeast(ctx, "1.41") {
		if status, err = strictBool(r, "status", true); err != nil {
			return err
		}
	}
	list, err := s.b.GetServices(ctx, f, status)
	if err != nil {
		return err
	}
	if !httputils.VersionAtLeast(ctx, "1.25") {
		out := make([]legacyService, 0, len(list))
		for _, svc := range list {
			out = append(out, withLegacyNetworks(svc))
		}
		return httputils.WriteJSON(w, http.StatusOK, out)
	}
	return httputils.WriteJSON(w, http.StatusOK, nonNil(list))
}

func (s *swarmRouter) getService(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	// dockerd reads insertDefaults (documented since 1.29) whatever the
	// version, and, unlike the list, never fills ServiceStatus here.
	insertDefaults, err := strictBool(r, "insertDefaults", true)
	if err != nil {
		return err
	}
	svc, err := s.b.GetService(ctx, vars["id"], insertDefaults)
	if err != nil {
		return err
	}
	if !httputils.VersionAtLeast(ctx, "1.25") {
		return httputils.WriteJSON(w, http.StatusOK, withLegacyNetworks(svc))
	}
	return httputils.WriteJSON(w, http.StatusOK, svc)
}

func (s *swarmRouter) createService(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	var req serviceWithLegacy
	if err := httputils.ReadJSON(r, &req); err != nil {
		return err
	}
	spec := req.forVersion(ctx)
	resp, err := s.b.CreateService(ctx, spec, r.Header.Get(registry.AuthHeader))
	if err != nil {
		return err
	}
	if resp == nil {
		resp = &swarm.ServiceCreateResponse{}
	}
	return httputils.WriteJSON(w, http.StatusCreated, resp)
}

func (s *swarmRouter) updateService(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	var req serviceWithLegacy
	if err := httputils.ReadJSON(r, &req); err != nil {
		return err
	}
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	version, err := objectVersion(r, "service")
	if err != nil {
		return err
	}
	opts := ServiceUpdateOptions{
		EncodedRegistryAuth: r.Header.Get(registry.AuthHeader),
		Rollback:            r.Form.Get("rollback"),
	}
	switch from := swarm.RegistryAuthSource(r.Form.Get("registryAuthFrom")); from {
	case "":
	case swarm.RegistryAuthFromSpec, swarm.RegistryAuthFromPreviousSpec:
		opts.RegistryAuthFrom = string(from)
	default:
		return errdefs.InvalidParameter("invalid registryAuthFrom '%s'", from)
	}
	spec := req.forVersion(ctx)
	resp, err := s.b.UpdateService(ctx, vars["id"], version, spec, opts)
	if err != nil {
		return err
	}
	if resp == nil {
		resp = &swarm.ServiceUpdateResponse{}
	}
	return httputils.WriteJSON(w, http.StatusOK, resp)
}

func (s *swarmRouter) removeService(ctx context.Context, _ http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	return s.b.RemoveService(ctx, vars["id"])
}
