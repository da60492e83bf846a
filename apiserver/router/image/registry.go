package image

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/berth-project/berth/apiserver/httputils"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/registry"
)

// registryAuth decodes the X-Registry-Auth header: base64url JSON of an
// AuthConfig. Clients differ in padding and alphabet, so both are
// accepted; an empty header or "{}" means anonymous.
func registryAuth(r *http.Request) (*registry.AuthConfig, error) {
	return DecodeRegistryAuth(r.Header.Get(registry.AuthHeader))
}

// DecodeRegistryAuth reads an X-Registry-Auth value in any of the base64
// forms clients send; "" and "{}" are no credentials (nil).
func DecodeRegistryAuth(h string) (*registry.AuthConfig, error) {
	h = strings.TrimSpace(h)
	if h == "" {
		return nil, nil
	}
	var raw []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.URLEncoding, base64.RawURLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
		if raw, err = enc.DecodeString(h); err == nil {
			break
		}
	}
	if err != nil {
		return nil, errdefs.InvalidParameter("invalid X-Registry-Auth header: %v", err)
	}
	var a registry.AuthConfig
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, errdefs.InvalidParameter("invalid X-Registry-Auth header: %v", err)
	}
	if a == (registry.AuthConfig{}) {
		return nil, nil
	}
	return &a, nil
}

func (i *imageRouter) login(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	var a registry.AuthConfig
	if err := json.NewDecoder(r.Body).Decode(&a); err != nil {
		return errdefs.InvalidParameter("invalid login request: %v", err)
	}
	resp, err := i.d.Login(ctx, a)
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, resp)
}

// search: registries speaking the distribution API (ours, Docker's
// registry:2) have no search endpoint; only Docker Hub's v1 index does,
// and no public registry is reachable from berth's hosts.
func (i *imageRouter) search(context.Context, http.ResponseWriter, *http.Request, map[string]string) error {
	return errdefs.NotImplemented("search is not supported: OCI distribution registries (including berth registry serve) have no search API, and Docker Hub's index is not reachable")
}
