package container

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/berth-project/berth/apiserver/httputils"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
	"github.com/moby/moby/api/types/container"
)

func (c *containerRouter) create(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	var req container.CreateRequest
	if err := httputils.ReadJSON(r, &req); err != nil {
		return err
	}
	if req.Config == nil {
		return errdefs.InvalidParameter("config cannot be empty in order to create a container")
	}
	adaptCreateToVersion(ctx, &req)
	if p := r.Form.Get("platform"); p != "" {
		if err := validatePlatform(p); err != nil {
			return err
		}
		ctx = WithPlatform(ctx, p)
	}
	resp, err := c.b.ContainerCreate(ctx, r.Form.Get("name"), &req)
	if err != nil {
		return err
	}
	if resp.Warnings == nil {
		resp.Warnings = []string{}
	}
	return httputils.WriteJSON(w, http.StatusCreated, resp)
}

// validatePlatform checks the os[/arch[/variant]] shape.
func validatePlatform(p string) error {
	parts := strings.Split(p, "/")
	if len(parts) > 3 {
		return errdefs.InvalidParameter("invalid platform %q: expected os[/arch[/variant]]", p)
	}
	for _, s := range parts {
		if s == "" {
			return errdefs.InvalidParameter("invalid platform %q: expected os[/arch[/variant]]", p)
		}
	}
	return nil
}

func (c *containerRouter) start(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	// A non-nil JSON object is at least 7 bytes; Docker refuses start
	// bodies (HostConfig at start) since API 1.24.
	if r.ContentLength > 7 || r.ContentLength == -1 {
		return errdefs.InvalidParameter("starting container with non-empty request body was deprecated since API v1.22 and removed in v1.24")
	}
	if err := c.b.ContainerStart(ctx, vars["name"]); err != nil {
		return err
	}
	return noContent(w)
}

// stopOptions parses t and signal of stop and restart.
func stopOptions(ctx context.Context, r *http.Request) (string, *int, error) {
	if err := httputils.ParseForm(r); err != nil {
		return "", nil, err
	}
	var signal string
	if httputils.VersionAtLeast(ctx, "1.42") {
		signal = r.Form.Get("signal")
	}
	var timeout *int
	if s := r.Form.Get("t"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return "", nil, errdefs.InvalidParameter("invalid value for t: %q: must be an integer", s)
		}
		timeout = &n
	}
	return signal, timeout, nil
}

func (c *containerRouter) stop(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	sig, t, err := stopOptions(ctx, r)
	if err != nil {
		return err
	}
	if err := c.b.ContainerStop(ctx, vars["name"], sig, t); err != nil {
		return err
	}
	return noContent(w)
}

func (c *containerRouter) restart(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	sig, t, err := stopOptions(ctx, r)
	if err != nil {
		return err
	}
	if err := c.b.ContainerRestart(ctx, vars["name"], sig, t); err != nil {
		return err
	}
	return noContent(w)
}

func (c *containerRouter) kill(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	name := vars["name"]
	if err := c.b.ContainerKill(ctx, name, r.Form.Get("signal")); err != nil {
		return fmt.Errorf("cannot kill container: %s: %w", name, err)
	}
	return noContent(w)
}

func (c *containerRouter) pause(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	if err := c.b.ContainerPause(ctx, vars["name"]); err != nil {
		return err
	}
	return noContent(w)
}

func (c *containerRouter) unpause(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	if err := c.b.ContainerUnpause(ctx, vars["name"]); err != nil {
		return err
	}
	return noContent(w)
}

func (c *containerRouter) remove(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	opts := RemoveOptions{
		Force:         httputils.BoolValue(r, "force"),
		RemoveVolumes: httputils.BoolValue(r, "v"),
		RemoveLink:    httputils.BoolValue(r, "link"),
	}
	if err := c.b.ContainerRemove(ctx, vars["name"], opts); err != nil {
		return err
	}
	return noContent(w)
}

func (c *containerRouter) rename(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	if err := c.b.ContainerRename(ctx, vars["name"], r.Form.Get("name")); err != nil {
		return err
	}
	return noContent(w)
}

func (c *containerRouter) update(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	var cfg container.UpdateConfig
	if err := httputils.ReadJSON(r, &cfg); err != nil {
		return err
	}
	adaptUpdateToVersion(ctx, &cfg)
	if cfg.PidsLimit != nil && *cfg.PidsLimit <= 0 {
		// 0 and -1 both mean unlimited on update; Docker accepted any
		// negative value historically.
		var unlimited int64
		cfg.PidsLimit = &unlimited
	}
	resp, err := c.b.ContainerUpdate(ctx, vars["name"], &cfg)
	if err != nil {
		return err
	}
	if resp.Warnings == nil {
		resp.Warnings = []string{}
	}
	return httputils.WriteJSON(w, http.StatusOK, resp)
}

func (c *containerRouter) resize(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	h, wd, err := resizeArgs(r)
	if err != nil {
		return err
	}
	return c.b.ContainerResize(ctx, vars["name"], h, wd)
}

func resizeArgs(r *http.Request) (int, int, error) {
	if err := httputils.ParseForm(r); err != nil {
		return 0, 0, err
	}
	h, err := httputils.Uint32Value(r, "h")
	if err != nil {
		return 0, 0, errdefs.InvalidParameter("invalid resize height %q: %v", r.Form.Get("h"), err)
	}
	wd, err := httputils.Uint32Value(r, "w")
	if err != nil {
		return 0, 0, errdefs.InvalidParameter("invalid resize width %q: %v", r.Form.Get("w"), err)
	}
	return int(h), int(wd), nil
}

func (c *containerRouter) prune(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	f, err := filters.Parse(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	rep, err := c.b.ContainersPrune(ctx, f)
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusOK, rep)
}

func (c *containerRouter) commit(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	// The body is an optional bare container.Config.
	var cfg *container.Config
	if err := httputils.ReadJSON(r, &cfg); err != nil {
		return err
	}
	repo, tag := r.Form.Get("repo"), r.Form.Get("tag")
	if repo == "" && tag != "" {
		return errdefs.InvalidParameter("invalid reference: tag %q given without a repository", tag)
	}
	id, err := c.b.ContainerCommit(ctx, r.Form.Get("container"), CommitOptions{
		Repo:    repo,
		Tag:     tag,
		Comment: r.Form.Get("comment"),
		Author:  r.Form.Get("author"),
		Pause:   httputils.BoolValueOrDefault(r, "pause", true),
		Changes: r.Form["changes"],
		Config:  cfg,
	})
	if err != nil {
		return err
	}
	return httputils.WriteJSON(w, http.StatusCreated, container.CommitResponse{ID: id})
}
