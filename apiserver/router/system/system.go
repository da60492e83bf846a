// Package system serves /_ping, /version, /info, /events and /system/df.
package system

import (
	"context"
	"net/http"
	"runtime"
	"time"

	"github.com/berth-project/berth/apiserver/httputils"
	"github.com/berth-project/berth/apiserver/router"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
	"github.com/moby/moby/api/types/system"
)

type systemRouter struct{ b Backend }

// NewRouter returns the system routes backed by b.
func NewRouter(b Backend) router.Router {
	s := &systemRouter{b: b}
	return router.Func(func() []router.Route {
		return []router.Route{
			router.Get("/_ping", s.ping),
			router.Head("/_ping", s.ping),
			router.Get("/version", s.version),
			router.Get("/info", s.info),
			router.Get("/events", s.events),
			router.Get("/system/df", s.diskUsage),
		}
	})
}

func (s *systemRouter) ping(_ context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	h := w.Header()
	h.Set("Builder-Version", "1")
	h.Set("Docker-Experimental", "false")
	swarm := "inactive"
	if sp, ok := s.b.(SwarmPinger); ok {
		swarm = sp.SwarmPingStatus()
	}
	h.Set("Swarm", swarm)
	h.Set("Cache-Control", "no-cache, no-store, must-revalidate")
	h.Set("Pragma", "no-cache")
	if r.Method == http.MethodHead {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Content-Length", "0")
		return nil
	}
	_, err := w.Write([]byte("OK"))
	return err
}

func (s *systemRouter) version(ctx context.Context, w http.ResponseWriter, _ *http.Request, _ map[string]string) error {
	v, err := s.b.SystemVersion(ctx)
	if err != nil {
		return err
	}
	// The API versions are this server's business, not the backend's.
	v.APIVersion = httputils.MaxAPIVersion
	v.MinAPIVersion = httputils.MinAPIVersion
	if v.Os == "" {
		v.Os = runtime.GOOS
	}
	if v.Arch == "" {
		v.Arch = runtime.GOARCH
	}
	if v.GoVersion == "" {
		v.GoVersion = runtime.Version()
	}
	if len(v.Components) == 0 {
		details := map[string]string{
			"ApiVersion":    v.APIVersion,
			"MinAPIVersion": v.MinAPIVersion,
			"Os":            v.Os,
			"Arch":          v.Arch,
			"GoVersion":     v.GoVersion,
			"Experimental":  "false",
		}
		if v.GitCommit != "" {
			details["GitCommit"] = v.GitCommit
		}
		if v.KernelVersion != "" {
			details["KernelVersion"] = v.KernelVersion
		}
		if v.BuildTime != "" {
			details["BuildTime"] = v.BuildTime
		}
		v.Components = []system.ComponentVersion{{Name: "Engine", Version: v.Version, Details: details}}
	}
	return httputils.WriteJSON(w, http.StatusOK, v)
}

func (s *systemRouter) info(ctx context.Context, w http.ResponseWriter, _ *http.Request, _ map[string]string) error {
	info, err := s.b.SystemInfo(ctx)
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, info)
}

func (s *systemRouter) diskUsage(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	var opts DiskUsageOptions
	types := r.Form["type"]
	if !httputils.VersionAtLeast(ctx, "1.42") {
		types = nil // the type filter came with API 1.42
	}
	if len(types) == 0 {
		opts = DiskUsageOptions{Containers: true, Images: true, Volumes: true, BuildCache: true}
	}
	for _, t := range types {
		switch system.DiskUsageObject(t) {
		case system.ContainerObject:
			opts.Containers = true
		case system.ImageObject:
			opts.Images = true
		case system.VolumeObject:
			opts.Volumes = true
		case system.BuildCacheObject:
			opts.BuildCache = true
		default:
			return errdefs.InvalidParameter("unknown object type: %s", t)
		}
	}
	du, err := s.b.SystemDiskUsage(ctx, opts)
	if err != nil {
		return err
	}
	verbose := httputils.BoolValue(r, "verbose")
	switch {
	case !httputils.VersionAtLeast(ctx, "1.52"):
		body := legacyDiskUsage(du)
		if !httputils.VersionAtLeast(ctx, "1.42") {
			var size int64
			for _, b := range body.BuildCache {
				size += b.Size
			}
			body.BuilderSize = &size
		}
		return httputils.WriteJSON(w, http.StatusOK, body)
	case !httputils.VersionAtLeast(ctx, "1.53") && !verbose:
		legacy := legacyDiskUsage(du)
		stripItems(du)
		return httputils.WriteJSON(w, http.StatusOK, transitionalDF{DiskUsage: du, LayersSize: legacy.LayersSize,
			Images: legacy.Images, Containers: legacy.Containers, Volumes: legacy.Volumes, BuildCache: legacy.BuildCache})
	}
	if !verbose {
		stripItems(du)
	}
	return httputils.WriteJSON(w, http.StatusOK, du)
}

// events streams past events in [since, until] and then, unless until has
// passed, live ones until until, the client leaving, or server shutdown.
func (s *systemRouter) events(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	since, err := httputils.ParseTimestamp(r.Form.Get("since"))
	if err != nil {
		return err
	}
	until, err := httputils.ParseTimestamp(r.Form.Get("until"))
	if err != nil {
		return err
	}
	if !since.IsZero() && !until.IsZero() && until.Before(since) {
		return errdefs.InvalidParameter("`since` time (%s) cannot be after `until` time (%s)", r.Form.Get("since"), r.Form.Get("until"))
	}
	f, err := filters.Parse(r.Form.Get("filters"))
	if err != nil {
		return err
	}

	past, live, cancel := s.b.SubscribeEvents(since, until, f)
	defer cancel()

	ctype, seq := eventContentType(ctx, r.Header.Get("Accept"))
	w.Header().Set("Content-Type", ctype)
	out := httputils.NewWriteFlusher(w)
	out.Flush()
	enc := eventEncoder(ctx, out, seq)
	for _, m := range past {
		if err := enc(m); err != nil {
			return nil
		}
	}
	if live == nil || (!until.IsZero() && !until.After(time.Now())) {
		return nil
	}
	var timeout <-chan time.Time
	if !until.IsZero() {
		t := time.NewTimer(time.Until(until))
		defer t.Stop()
		timeout = t.C
	}
	shutdown := httputils.ShutdownFromContext(ctx)
	for {
		select {
		case m, ok := <-live:
			if !ok {
				return nil
			}
			if err := enc(m); err != nil {
				return nil
			}
		case <-timeout:
			return nil
		case <-ctx.Done():
			return nil
		case <-shutdown:
			return nil
		}
	}
}
