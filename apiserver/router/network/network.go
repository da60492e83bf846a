// Package network serves the /networks routes of the Engine API: request
// parsing, filter and body validation and the API-version rules, with the
// network logic behind Backend.
package network

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/berth-project/berth/apiserver/httputils"
	"github.com/berth-project/berth/apiserver/router"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
	"github.com/moby/moby/api/types/network"
)

// DefaultDriver is what a create request without a Driver gets, as on a
// Linux Docker daemon.
const DefaultDriver = "bridge"

type networkRouter struct{ b Backend }

// NewRouter returns the network routes backed by b.
func NewRouter(b Backend) router.Router {
	n := &networkRouter{b: b}
	return router.Func(func() []router.Route {
		return []router.Route{
			router.Get("/networks", n.list),
			router.Get("/networks/", n.list),
			router.Post("/networks/create", n.create),
			router.Post("/networks/prune", n.prune),
			router.Get("/networks/{id:.*}", n.inspect),
			router.Post("/networks/{id:.*}/connect", n.connect),
			router.Post("/networks/{id:.*}/disconnect", n.disconnect),
			router.Delete("/networks/{id:.*}", n.remove),
		}
	})
}

// validateListFilters applies Docker's checks on GET /networks filters so
// that every backend rejects the same requests with the same words.
func validateListFilters(f filters.Args) error {
	if err := f.Validate("dangling", "driver", "id", "label", "name", "scope", "type"); err != nil {
		return err
	}
	if vals := f.Get("dangling"); len(vals) > 0 {
		if len(vals) > 1 {
			return errdefs.InvalidParameter(`got more than one value for filter key "dangling"`)
		}
		switch vals[0] {
		case "0", "false", "1", "true":
		default:
			return errdefs.InvalidParameter(`invalid value for filter 'dangling', must be "true" (or "1"), or "false" (or "0")`)
		}
	}
	for _, t := range f.Get("type") {
		if t != "builtin" && t != "custom" {
			return errdefs.InvalidParameter("invalid filter: 'type'='%s'", t)
		}
	}
	return nil
}

func validatePruneFilters(f filters.Args) error {
	if err := f.Validate("label", "label!", "until"); err != nil {
		return err
	}
	if len(f.Get("until")) > 1 {
		return errdefs.InvalidParameter("more than one until filter specified")
	}
	return nil
}

func (n *networkRouter) list(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	f, err := filters.Parse(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	if err := validateListFilters(f); err != nil {
		return err
	}
	list, err := n.b.NetworkList(ctx, f)
	if err != nil {
		return err
	}
	if !httputils.VersionAtLeast(ctx, "1.28") {
		return n.listFull(ctx, w, list)
	}
	if list == nil {
		list = []network.Summary{}
	}
	for i := range list {
		fillMaps(&list[i].Network)
	}
	return httputils.WriteJSON(w, http.StatusOK, list)
}

// listFull answers API < 1.28, where the list carried each network's
// Containers like inspect does.
func (n *networkRouter) listFull(ctx context.Context, w http.ResponseWriter, list []network.Summary) error {
	full := make([]network.Inspect, 0, len(list))
	for _, s := range list {
		nw, err := n.b.NetworkInspect(ctx, s.ID, false, "")
		if errdefs.IsNotFound(err) {
			continue // removed since it was listed
		}
		if err != nil {
			return err
		}
		full = append(full, inspectShape(ctx, nw))
	}
	return httputils.WriteJSON(w, http.StatusOK, full)
}

// inspectShape applies Docker's response shape and version rules to an
// inspect result.
func inspectShape(ctx context.Context, nw network.Inspect) network.Inspect {
	fillMaps(&nw.Network)
	if nw.Containers == nil {
		nw.Containers = map[string]network.EndpointResource{}
	}
	// Status (IPAM usage) appeared in API 1.52.
	if !httputils.VersionAtLeast(ctx, "1.52") {
		nw.Status = nil
	}
	return nw
}

// fillMaps turns nil Options/Labels into {} because Docker always sends
// objects there and clients index them without nil checks.
func fillMaps(nw *network.Network) {
	if nw.Options == nil {
		nw.Options = map[string]string{}
	}
	if nw.Labels == nil {
		nw.Labels = map[string]string{}
	}
}

func (n *networkRouter) inspect(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	var verbose bool
	if v := r.Form.Get("verbose"); v != "" {
		var err error
		if verbose, err = strconv.ParseBool(v); err != nil {
			return errdefs.InvalidParameter("invalid value for verbose: %s: %v", v, err)
		}
	}
	nw, err := n.b.NetworkInspect(ctx, vars["id"], verbose, r.Form.Get("scope"))
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, inspectShape(ctx, nw))
}

// createRequest is the create body of every API version: clients speaking
// API < 1.44 also send CheckDuplicate, which duplicate-name checks made
// meaningless (names are always unique now).
type createRequest struct {
	network.CreateRequest
	CheckDuplicate *bool `json:",omitempty"`
}

func (n *networkRouter) create(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	var req createRequest
	if err := httputils.ReadJSON(r, &req); err != nil {
		return err
	}
	create := req.CreateRequest
	if strings.TrimSpace(create.Name) == "" {
		// libnetwork's wording.
		return errdefs.InvalidParameter("invalid name: name is empty")
	}
	if create.Driver == "" {
		create.Driver = DefaultDriver
	}
	// EnableIPv4 appeared in API 1.48; older clients cannot mean false.
	if !httputils.VersionAtLeast(ctx, "1.48") {
		create.EnableIPv4 = nil
	}
	resp, err := n.b.NetworkCreate(ctx, create)
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusCreated, resp)
}

func (n *networkRouter) connect(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	var req network.ConnectRequest
	if err := httputils.ReadJSON(r, &req); err != nil {
		return err
	}
	// Docker ignored EndpointConfig.MacAddress on connect before API 1.54.
	if req.EndpointConfig != nil && !httputils.VersionAtLeast(ctx, "1.54") {
		req.EndpointConfig.MacAddress = nil
	}
	if err := n.b.NetworkConnect(ctx, vars["id"], req); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (n *networkRouter) disconnect(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	var req network.DisconnectRequest
	if err := httputils.ReadJSON(r, &req); err != nil {
		return err
	}
	if err := n.b.NetworkDisconnect(ctx, vars["id"], req); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (n *networkRouter) remove(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	if err := n.b.NetworkRemove(ctx, vars["id"]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (n *networkRouter) prune(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if !httputils.VersionAtLeast(ctx, "1.25") {
		return errdefs.InvalidParameter("POST /networks/prune requires minimum API version 1.25")
	}
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	f, err := filters.Parse(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	if err := validatePruneFilters(f); err != nil {
		return err
	}
	rep, err := n.b.NetworksPrune(ctx, f)
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, rep)
}
