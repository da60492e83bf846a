// Package notimpl answers the Engine API areas berth does not serve yet
// (build, networks, volumes, swarm, plugins, registry search/auth...) with
// 501 Not Implemented and a clear message, instead of a confusing 404, for
// the docker CLI and SDKs that probe them. Its routes are fallbacks: a real
// router registered for the same paths (before or after) takes precedence,
// so later issues only add their router.
package notimpl

import (
	"context"
	"net/http"

	"github.com/berth-project/berth/apiserver/router"
	"github.com/berth-project/berth/internal/errdefs"
)

// areas maps path prefixes to the feature name used in the message.
var areas = []struct {
	prefix  string
	feature string
	nested  bool // also /prefix/...
}{
	{"/build", "image build", true},
	{"/session", "build sessions", false},
	{"/grpc", "the gRPC endpoint", false},
	{"/networks", "networks", true},
	{"/volumes", "volumes", true},
	{"/swarm", "swarm mode", true},
	{"/services", "swarm services", true},
	{"/nodes", "swarm nodes", true},
	{"/tasks", "swarm tasks", true},
	{"/secrets", "swarm secrets", true},
	{"/configs", "swarm configs", true},
	{"/plugins", "plugins", true},
	{"/distribution", "registry distribution inspect", true},
	{"/auth", "registry login", false},
	{"/images/search", "registry search", false},
	{"/containers/{name}/checkpoints", "checkpoints", true},
}

// NewRouter returns the fallback routes.
func NewRouter() router.Router {
	return router.Func(func() []router.Route {
		var routes []router.Route
		for _, a := range areas {
			h := handler(a.feature)
			routes = append(routes, router.Route{Path: a.prefix, Handler: h, Fallback: true})
			if a.nested {
				routes = append(routes, router.Route{Path: a.prefix + "/{rest:.*}", Handler: h, Fallback: true})
			}
		}
		return routes
	})
}

func handler(feature string) router.HandlerFunc {
	return func(context.Context, http.ResponseWriter, *http.Request, map[string]string) error {
		// "not supported" matters: `docker inspect NAME` probes every
		// object type and skips those whose error says so.
		return errdefs.NotImplemented("%s: not supported by berth yet (not implemented)", feature)
	}
}
