// Package image serves the image routes of the Engine API. Image
// references contain slashes ("myrepo/app:1"), so their routes use greedy
// path variables: /images/{name:.*}/json.
package image

import (
	"context"
	"io"
	"net/http"

	"github.com/berth-project/berth/apiserver/httputils"
	"github.com/berth-project/berth/apiserver/router"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
	"github.com/moby/moby/api/types/image"
)

type imageRouter struct {
	b Backend
	d DistributionBackend
}

// NewRouter returns the image routes backed by b, with pull, push and
// login by d.
func NewRouter(b Backend, d DistributionBackend) router.Router {
	i := &imageRouter{b: b, d: d}
	return router.Func(func() []router.Route {
		return []router.Route{
			router.Get("/images/json", i.list),
			router.Get("/images/get", i.exportMany),
			router.Post("/images/create", i.create),
			router.Post("/images/load", i.load),
			router.Post("/images/prune", i.prune),
			router.Get("/images/{name:.*}/json", i.inspect),
			router.Get("/images/{name:.*}/history", i.history),
			router.Get("/images/{name:.*}/get", i.exportOne),
			router.Get("/images/{name:.*}/attestations", i.attestations),
			router.Post("/images/{name:.*}/tag", i.tag),
			router.Post("/images/{name:.*}/push", i.push),
			router.Get("/images/search", i.search),
			router.Post("/auth", i.login),
			router.Delete("/images/{name:.*}", i.remove),
		}
	})
}

func (i *imageRouter) list(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	f, err := filters.Parse(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	// API < 1.41 had a single "filter" parameter for the reference.
	if v := r.Form.Get("filter"); v != "" {
		f.Add("reference", v)
	}
	list, err := i.b.Images(ctx, ListOptions{
		All:        httputils.BoolValue(r, "all"),
		Filters:    f,
		SharedSize: httputils.BoolValue(r, "shared-size"),
		Digests:    httputils.BoolValue(r, "digests"),
	})
	if err != nil {
		return err
	}
	if list == nil {
		list = []image.Summary{}
	}
	return httputils.WriteJSON(w, http.StatusOK, list)
}

func (i *imageRouter) inspect(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	resp, err := i.b.ImageInspect(ctx, vars["name"])
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, resp)
}

func (i *imageRouter) history(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	h, err := i.b.ImageHistory(ctx, vars["name"])
	if err != nil {
		return err
	}
	if h == nil {
		h = []image.HistoryResponseItem{}
	}
	return httputils.WriteJSON(w, http.StatusOK, h)
}

func (i *imageRouter) tag(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	repo := r.Form.Get("repo")
	if repo == "" {
		return errdefs.InvalidParameter("repository name must have at least one component")
	}
	if err := i.b.ImageTag(ctx, vars["name"], repo, r.Form.Get("tag")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusCreated)
	return nil
}

func (i *imageRouter) remove(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	list, err := i.b.ImageDelete(ctx, vars["name"], httputils.BoolValue(r, "force"), httputils.BoolValue(r, "noprune"))
	if err != nil {
		return err
	}
	if list == nil {
		list = []image.DeleteResponse{}
	}
	return httputils.WriteJSON(w, http.StatusOK, list)
}

func (i *imageRouter) prune(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	f, err := filters.Parse(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	rep, err := i.b.ImagesPrune(ctx, f)
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, rep)
}

// progress runs fn with a flushing JSON progress stream. Errors before any
// output become a normal error response; later ones are sent in-band as
// {"errorDetail":{"message":...},"error":...}.
func progress(w http.ResponseWriter, fn func(out io.Writer) error) error {
	w.Header().Set("Content-Type", "application/json")
	out := httputils.NewWriteFlusher(w)
	if err := fn(out); err != nil {
		if !out.Flushed() {
			return err
		}
		_, _ = out.Write(httputils.FormatStreamError(err))
	}
	return nil
}

func (i *imageRouter) create(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	fromImage, fromSrc := r.Form.Get("fromImage"), r.Form.Get("fromSrc")
	switch {
	case fromImage != "":
		auth, err := registryAuth(r)
		if err != nil {
			return err
		}
		req := PullRequest{Image: fromImage, Tag: r.Form.Get("tag"), Platform: r.Form.Get("platform"), Auth: auth}
		return progress(w, func(out io.Writer) error {
			return i.d.PullImage(ctx, req, out)
		})
	case fromSrc == "-":
		return progress(w, func(out io.Writer) error {
			return i.b.ImportImage(ctx, r.Body, r.Form.Get("repo"), r.Form.Get("tag"), r.Form.Get("message"), r.Form["changes"], out)
		})
	case fromSrc != "":
		return errdefs.NotImplemented("importing an image from a URL is not supported; send the tarball in the request body with fromSrc=-")
	}
	return errdefs.InvalidParameter("either fromImage or fromSrc must be given")
}

func (i *imageRouter) push(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	auth, err := registryAuth(r)
	if err != nil {
		return err
	}
	req := PushRequest{Image: vars["name"], Tag: r.Form.Get("tag"), Platform: r.Form.Get("platform"), Auth: auth}
	return progress(w, func(out io.Writer) error {
		return i.d.PushImage(ctx, req, out)
	})
}

func (i *imageRouter) load(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	quiet := httputils.BoolValueOrDefault(r, "quiet", true)
	return progress(w, func(out io.Writer) error {
		return i.b.LoadImage(ctx, r.Body, out, quiet)
	})
}

func (i *imageRouter) exportOne(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	return i.export(ctx, w, []string{vars["name"]})
}

func (i *imageRouter) exportMany(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	return i.export(ctx, w, r.Form["names"])
}

func (i *imageRouter) export(ctx context.Context, w http.ResponseWriter, names []string) error {
	if len(names) == 0 {
		return errdefs.InvalidParameter("no image names given")
	}
	sw := &startedWriter{w: w}
	if err := i.b.ExportImage(ctx, names, sw); err != nil && !sw.started {
		return err
	}
	if !sw.started {
		w.Header().Set("Content-Type", "application/x-tar")
	}
	return nil
}

// startedWriter sends the tar headers on the first byte, so errors before
// it still get a proper status.
type startedWriter struct {
	w       http.ResponseWriter
	started bool
}

func (s *startedWriter) Write(p []byte) (int, error) {
	if !s.started {
		s.started = true
		s.w.Header().Set("Content-Type", "application/x-tar")
		s.w.WriteHeader(http.StatusOK)
	}
	return s.w.Write(p)
}
