package container

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"

	"github.com/berth-project/berth/apiserver/httputils"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/container"
)

// pathStatHeader carries the base64 JSON PathStat of archive requests.
const pathStatHeader = "X-Docker-Container-Path-Stat"

func archivePath(r *http.Request) (string, error) {
	if err := httputils.ParseForm(r); err != nil {
		return "", err
	}
	p := r.Form.Get("path")
	if p == "" {
		return "", errdefs.InvalidParameter("path cannot be empty")
	}
	return p, nil
}

func setPathStat(w http.ResponseWriter, st *container.PathStat) error {
	if st == nil {
		return nil
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	w.Header().Set(pathStatHeader, base64.StdEncoding.EncodeToString(b))
	return nil
}

func (c *containerRouter) archiveHead(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	p, err := archivePath(r)
	if err != nil {
		return err
	}
	st, err := c.b.ContainerStatPath(ctx, vars["name"], p)
	if err != nil {
		return err
	}
	return setPathStat(w, st)
}

func (c *containerRouter) archiveGet(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	p, err := archivePath(r)
	if err != nil {
		return err
	}
	rc, st, err := c.b.ContainerArchivePath(ctx, vars["name"], p)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := setPathStat(w, st); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/x-tar")
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, rc)
	return nil
}

func (c *containerRouter) archivePut(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	p, err := archivePath(r)
	if err != nil {
		return err
	}
	return c.b.ContainerExtractToDir(ctx, vars["name"], p,
		httputils.BoolValue(r, "copyUIDGID"),
		httputils.BoolValue(r, "noOverwriteDirNonDir"),
		r.Body)
}

// startedWriter remembers whether the response has begun, so an error can
// still be sent as a proper status before the first byte.
type startedWriter struct {
	w       http.ResponseWriter
	ctype   string
	started bool
}

func (s *startedWriter) Write(p []byte) (int, error) {
	if !s.started {
		s.started = true
		s.w.Header().Set("Content-Type", s.ctype)
		s.w.WriteHeader(http.StatusOK)
	}
	return s.w.Write(p)
}

func (c *containerRouter) export(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
	sw := &startedWriter{w: w, ctype: "application/x-tar"}
	if err := c.b.ContainerExport(ctx, vars["name"], sw); err != nil && !sw.started {
		return err
	}
	if !sw.started {
		w.Header().Set("Content-Type", "application/x-tar")
	}
	return nil
}
