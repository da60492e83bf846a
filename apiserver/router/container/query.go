package container

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/berth-project/berth/apiserver/httputils"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
	"github.com/moby/moby/api/types/container"
)

func (c *containerRouter) list(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	f, err := filters.Parse(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	// Legacy query parameters; the backend only knows the filters.
	if v := r.Form.Get("before"); v != "" {
		f.Add("before", v)
	}
	if v := r.Form.Get("since"); v != "" {
		f.Add("since", v)
	}
	opts := ListOptions{
		All:     httputils.BoolValue(r, "all"),
		Size:    httputils.BoolValue(r, "size"),
		Filters: f,
	}
	if s := r.Form.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return errdefs.InvalidParameter("invalid value for limit: %q: must be an integer", s)
		}
		opts.Limit = n
	}
	list, err := c.b.ContainerList(ctx, opts)
	if err != nil {
		return err
	}
	if list == nil {
		list = []container.Summary{}
	}
	return httputils.WriteJSON(w, http.StatusOK, list)
}

func (c *containerRouter) inspect(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	resp, err := c.b.ContainerInspect(ctx, vars["name"], httputils.BoolValue(r, "size"))
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, inspectForVersion(ctx, resp))
}

func (c *containerRouter) top(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	resp, err := c.b.ContainerTop(ctx, vars["name"], r.Form.Get("ps_args"))
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, resp)
}

func (c *containerRouter) changes(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	ch, err := c.b.ContainerChanges(ctx, vars["name"])
	if err != nil {
		return err
	}
	if ch == nil {
		ch = []container.FilesystemChange{}
	}
	return httputils.WriteJSON(w, http.StatusOK, ch)
}

func (c *containerRouter) stats(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	opts := StatsOptions{Stream: httputils.BoolValueOrDefault(r, "stream", true), OneShot: httputils.BoolValue(r, "one-shot")}
	var out *httputils.WriteFlusher
	var enc *json.Encoder
	return c.b.ContainerStats(ctx, vars["name"], opts, func(s *container.StatsResponse) error {
		if out == nil {
			w.Header().Set("Content-Type", "application/json")
			out = httputils.NewWriteFlusher(w)
			enc = json.NewEncoder(out)
		}
		if s == nil { // the stream is open but has no sample yet
			out.Flush()
			return nil
		}
		return enc.Encode(s)
	})
}

func (c *containerRouter) attachWS(context.Context, http.ResponseWriter, *http.Request, map[string]string) error {
	return errdefs.NotImplemented("attaching over websocket is not implemented; use POST /containers/{id}/attach")
}

// wait registers the wait, flushes the 200 headers at once (so the client
// knows the wait is in place before it starts the container, which is how
// `docker run` avoids missing a fast exit), and writes the body when the
// condition is reached.
func (c *containerRouter) wait(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	cond := container.WaitConditionNotRunning
	if v := r.Form.Get("condition"); v != "" {
		switch container.WaitCondition(v) {
		case container.WaitConditionNotRunning, container.WaitConditionNextExit, container.WaitConditionRemoved:
			cond = container.WaitCondition(v)
		default:
			return errdefs.InvalidParameter("invalid condition: %q", v)
		}
	}
	ch, err := c.b.ContainerWait(ctx, vars["name"], cond)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = http.NewResponseController(w).Flush()

	var res WaitResult
	select {
	case v, ok := <-ch:
		if !ok {
			return nil
		}
		res = v
	case <-ctx.Done():
		return nil
	case <-httputils.ShutdownFromContext(ctx):
		return nil
	}
	resp := container.WaitResponse{StatusCode: res.StatusCode}
	if res.Err != nil {
		resp.Error = &container.WaitExitError{Message: res.Err.Error()}
	}
	_ = json.NewEncoder(w).Encode(resp)
	return nil
}
