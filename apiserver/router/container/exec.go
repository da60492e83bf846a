package container

import (
	"context"
	"io"
	"net/http"

	"github.com/berth-project/berth/apiserver/httputils"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/container"
)

func (c *containerRouter) execCreate(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	var body container.ExecCreateRequest
	if err := httputils.ReadJSON(r, &body); err != nil {
		return err
	}
	req := body
	if len(req.Cmd) == 0 {
		return errdefs.InvalidParameter("No exec command specified")
	}
	if !httputils.VersionAtLeast(ctx, "1.42") {
		req.ConsoleSize = nil
	}
	id, err := c.b.ExecCreate(ctx, vars["name"], &req)
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusCreated, container.ExecCreateResponse{ID: id})
}

func (c *containerRouter) execInspect(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	resp, err := c.b.ExecInspect(ctx, vars["id"])
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, resp)
}

func (c *containerRouter) execResize(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	h, wd, err := resizeArgs(r)
	if err != nil {
		return err
	}
	return c.b.ExecResize(ctx, vars["id"], h, wd)
}

func (c *containerRouter) execStart(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	var req container.ExecStartRequest
	if err := httputils.ReadJSON(r, &req); err != nil {
		return err
	}
	// Whatever follows the JSON body on the connection is stdin; make sure
	// the body itself is consumed first.
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
	}
	id := vars["id"]
	// Fail with a proper status before hijacking when the exec is unknown.
	if _, err := c.b.ExecInspect(ctx, id); err != nil {
		return err
	}
	cfg := &ExecStartConfig{Detach: req.Detach, Tty: req.Tty}
	if req.ConsoleSize != nil && req.Tty && httputils.VersionAtLeast(ctx, "1.42") {
		cs := *req.ConsoleSize
		cfg.ConsoleSize = &cs
	}
	if req.Detach {
		// A detached exec outlives this request.
		if err := c.b.ExecStart(context.WithoutCancel(ctx), id, cfg); err != nil {
			return err
		}
		w.WriteHeader(http.StatusOK)
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s := &streamSetup{ctx: ctx, w: w, r: r, cancel: cancel}
	cfg.GetStreams = s.getStreams
	err := c.b.ExecStart(ctx, id, cfg)
	if !s.finish(err) {
		return err
	}
	return nil
}
