// Package container serves the container and exec routes of the Engine API
// (and POST /commit), translating HTTP requests into calls on Backend.
package container

import (
	"context"
	"net/http"

	"github.com/berth-project/berth/apiserver/router"
)

type containerRouter struct{ b Backend }

// NewRouter returns the container, exec and commit routes backed by b.
func NewRouter(b Backend) router.Router {
	c := &containerRouter{b: b}
	return router.Func(func() []router.Route {
		return []router.Route{
			router.Get("/containers/json", c.list),
			router.Post("/containers/create", c.create),
			router.Post("/containers/prune", c.prune),
			router.Get("/containers/{name}/json", c.inspect),
			router.Get("/containers/{name}/top", c.top),
			router.Get("/containers/{name}/logs", c.logs),
			router.Get("/containers/{name}/changes", c.changes),
			router.Get("/containers/{name}/export", c.export),
			router.Get("/containers/{name}/stats", c.stats),
			router.Get("/containers/{name}/attach/ws", c.attachWS),
			router.Head("/containers/{name}/archive", c.archiveHead),
			router.Get("/containers/{name}/archive", c.archiveGet),
			router.Put("/containers/{name}/archive", c.archivePut),
			router.Post("/containers/{name}/start", c.start),
			router.Post("/containers/{name}/stop", c.stop),
			router.Post("/containers/{name}/restart", c.restart),
			router.Post("/containers/{name}/kill", c.kill),
			router.Post("/containers/{name}/pause", c.pause),
			router.Post("/containers/{name}/unpause", c.unpause),
			router.Post("/containers/{name}/wait", c.wait),
			router.Post("/containers/{name}/rename", c.rename),
			router.Post("/containers/{name}/update", c.update),
			router.Post("/containers/{name}/resize", c.resize),
			router.Post("/containers/{name}/attach", c.attach),
			router.Post("/containers/{name}/exec", c.execCreate),
			router.Delete("/containers/{name}", c.remove),
			router.Post("/exec/{id}/start", c.execStart),
			router.Post("/exec/{id}/resize", c.execResize),
			router.Get("/exec/{id}/json", c.execInspect),
			router.Post("/commit", c.commit),
		}
	})
}

type platformKey struct{}

// WithPlatform records the create request's "platform" query parameter
// (os[/arch[/variant]]) for the backend.
func WithPlatform(ctx context.Context, p string) context.Context {
	return context.WithValue(ctx, platformKey{}, p)
}

// PlatformFromContext returns the "platform" query parameter of
// POST /containers/create, "" when none was given. Backend.ContainerCreate
// has no parameter for it, so it travels in the context.
func PlatformFromContext(ctx context.Context) string {
	p, _ := ctx.Value(platformKey{}).(string)
	return p
}

// noContent ends a successful call that has no body.
func noContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}
