package swarm

import (
	"context"
	"net/http"

	"github.com/berth-project/berth/apiserver/httputils"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/swarm"
)

// Secrets and configs are handled alike: list, create (201 {"ID"}),
// inspect, update by version, remove (204).

func (s *swarmRouter) getSecrets(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	f, err := listFilters(r)
	if err != nil {
		return err
	}
	list, err := s.b.GetSecrets(ctx, f)
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, nonNil(list))
}

func (s *swarmRouter) createSecret(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	var spec swarm.SecretSpec
	if err := httputils.ReadJSON(r, &spec); err != nil {
		return err
	}
	if spec.Templating != nil && !httputils.VersionAtLeast(ctx, "1.37") {
		return errdefs.InvalidParameter("secret templating is not supported on the specified API version: %s", httputils.VersionFromContext(ctx))
	}
	id, err := s.b.CreateSecret(ctx, spec)
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusCreated, &swarm.SecretCreateResponse{ID: id})
}

func (s *swarmRouter) getSecret(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	sec, err := s.b.GetSecret(ctx, vars["id"])
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, sec)
}

func (s *swarmRouter) updateSecret(ctx context.Context, _ http.ResponseWriter, r *http.Request, vars map[string]string) error {
	var spec swarm.SecretSpec
	if err := httputils.ReadJSON(r, &spec); err != nil {
		return err
	}
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	version, err := objectVersion(r, "secret")
	if err != nil {
		return err
	}
	return s.b.UpdateSecret(ctx, vars["id"], version, spec)
}

func (s *swarmRouter) removeSecret(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	if err := s.b.RemoveSecret(ctx, vars["id"]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *swarmRouter) getConfigs(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	f, err := listFilters(r)
	if err != nil {
		return err
	}
	list, err := s.b.GetConfigs(ctx, f)
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, nonNil(list))
}

func (s *swarmRouter) createConfig(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	var spec swarm.ConfigSpec
	if err := httputils.ReadJSON(r, &spec); err != nil {
		return err
	}
	if spec.Templating != nil && !httputils.VersionAtLeast(ctx, "1.37") {
		return errdefs.InvalidParameter("config templating is not supported on the specified API version: %s", httputils.VersionFromContext(ctx))
	}
	id, err := s.b.CreateConfig(ctx, spec)
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusCreated, &swarm.ConfigCreateResponse{ID: id})
}

func (s *swarmRouter) getConfig(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	c, err := s.b.GetConfig(ctx, vars["id"])
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, c)
}

func (s *swarmRouter) updateConfig(ctx context.Context, _ http.ResponseWriter, r *http.Request, vars map[string]string) error {
	var spec swarm.ConfigSpec
	if err := httputils.ReadJSON(r, &spec); err != nil {
		return err
	}
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	version, err := objectVersion(r, "config")
	if err != nil {
		return err
	}
	return s.b.UpdateConfig(ctx, vars["id"], version, spec)
}

func (s *swarmRouter) removeConfig(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	if err := s.b.RemoveConfig(ctx, vars["id"]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
