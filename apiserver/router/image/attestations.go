package image

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/berth-project/berth/apiserver/httputils"
	"github.com/berth-project/berth/internal/errdefs"
)

// attestations is GET /images/{name}/attestations (API 1.55). berth's
// images are imported, loaded, committed or built locally and keep no
// in-toto attestation manifests, so an existing image has none; when pull
// keeps the attestation manifests of an index, they belong here.
func (i *imageRouter) attestations(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	if len(r.Form["platform"]) > 1 {
		return errdefs.InvalidParameter("only one platform is supported")
	}
	for _, p := range r.Form["platform"] {
		var v map[string]any
		if err := json.Unmarshal([]byte(p), &v); err != nil {
			return errdefs.InvalidParameter("invalid platform: %v", err)
		}
	}
	if _, err := i.b.ImageInspect(ctx, vars["name"]); err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, []struct{}{})
}
