package apiserver

import (
	"context"
	"net/http"
	"testing"

	"github.com/berth-project/berth/apiserver/router"
)

func TestMuxMatching(t *testing.T) {
	var m mux
	h := func(context.Context, http.ResponseWriter, *http.Request, map[string]string) error { return nil }
	for _, rt := range []router.Route{
		router.Get("/images/json", h),
		router.Get("/images/{name:.*}/json", h),
		router.Delete("/images/{name:.*}", h),
		router.Get("/containers/{name}/json", h),
		{Path: "/networks/{rest:.*}", Handler: h, Fallback: true},
		{Path: "/networks", Handler: h, Fallback: true},
		router.Get("/networks/{id}", h),
	} {
		m.add(rt)
	}
	tests := []struct {
		method, path string
		pattern      string
		vars         map[string]string
	}{
		{"GET", "/images/json", "/images/json", nil},
		{"GET", "/images/busybox/json", "/images/{name:.*}/json", map[string]string{"name": "busybox"}},
		{"GET", "/images/localhost:5000/a/b:1/json", "/images/{name:.*}/json", map[string]string{"name": "localhost:5000/a/b:1"}},
		{"DELETE", "/images/a/b", "/images/{name:.*}", map[string]string{"name": "a/b"}},
		{"DELETE", "/images/", "", nil},
		{"GET", "/containers/web/json", "/containers/{name}/json", map[string]string{"name": "web"}},
		{"GET", "/containers//json", "", nil},
		{"GET", "/containers/a/b/json", "", nil},
		{"POST", "/containers/web/json", "", nil},
		{"GET", "/networks/abc", "/networks/{id}", map[string]string{"id": "abc"}},
		{"POST", "/networks/create", "/networks/{rest:.*}", map[string]string{"rest": "create"}},
		{"GET", "/networks", "/networks", nil},
	}
	for _, tt := range tests {
		c, vars := m.lookup(tt.method, tt.path)
		if tt.pattern == "" {
			if c != nil {
				t.Errorf("%s %s matched %s", tt.method, tt.path, c.route.Path)
			}
			continue
		}
		if c == nil || c.route.Path != tt.pattern {
			t.Errorf("%s %s: got %v, want %s", tt.method, tt.path, c, tt.pattern)
			continue
		}
		for k, v := range tt.vars {
			if vars[k] != v {
				t.Errorf("%s %s: var %s = %q, want %q", tt.method, tt.path, k, vars[k], v)
			}
		}
	}
	// Registering the same method and path again replaces the route.
	called := false
	m.add(router.Get("/images/json", func(context.Context, http.ResponseWriter, *http.Request, map[string]string) error {
		called = true
		return nil
	}))
	c, _ := m.lookup("GET", "/images/json")
	_ = c.route.Handler(context.Background(), nil, nil, nil)
	if !called {
		t.Fatal("route not replaced")
	}
}
