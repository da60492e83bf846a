// Package router defines what an Engine API router is: a set of routes the
// apiserver mounts both unversioned (/containers/json) and versioned
// (/v1.NN/containers/json). Each feature area (containers, images, and later
// networks, volumes, build, swarm, plugins) ships its own Router and the
// daemon hands them all to apiserver.Server.Register.
package router

import (
	"context"
	"net/http"
)

// HandlerFunc serves one API call. vars holds the path variables of the
// route pattern. A returned error that the handler has not written itself is
// rendered by the server as {"message": ...} with the status from
// httperrors; a handler that has already started a response must handle its
// own errors in-band and return nil.
type HandlerFunc func(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error

// Route is one method + path pattern.
//
// Path patterns are made of "/"-separated segments: a literal ("containers"),
// a single-segment variable ("{name}"), or a greedy variable ("{name:.*}")
// that matches one or more segments, slashes included, so that image
// references such as "myrepo/app:1" can sit in the middle of a path
// ("/images/{name:.*}/json"). At most one greedy variable per pattern.
type Route struct {
	// Method is the HTTP method; empty matches any method.
	Method string
	Path   string
	// Handler serves the route.
	Handler HandlerFunc
	// Fallback routes are only considered when no regular route matches;
	// the notimpl router uses them so that real routers registered later
	// take over their paths without anyone editing the stub list.
	Fallback bool
}

// Router is a group of routes.
type Router interface {
	Routes() []Route
}

// Func adapts a static route list to a Router.
type Func func() []Route

// Routes implements Router.
func (f Func) Routes() []Route { return f() }

// Get returns a GET route.
func Get(path string, h HandlerFunc) Route {
	return Route{Method: http.MethodGet, Path: path, Handler: h}
}

// Head returns a HEAD route.
func Head(path string, h HandlerFunc) Route {
	return Route{Method: http.MethodHead, Path: path, Handler: h}
}

// Post returns a POST route.
func Post(path string, h HandlerFunc) Route {
	return Route{Method: http.MethodPost, Path: path, Handler: h}
}

// Put returns a PUT route.
func Put(path string, h HandlerFunc) Route {
	return Route{Method: http.MethodPut, Path: path, Handler: h}
}

// Delete returns a DELETE route.
func Delete(path string, h HandlerFunc) Route {
	return Route{Method: http.MethodDelete, Path: path, Handler: h}
}
