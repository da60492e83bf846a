// Package build serves the builder's routes of the Engine API: POST /build
// (Docker's classic builder: the request body is the context tar, the
// answer its JSON message stream) and POST /build/prune, which `docker
// builder prune` and `docker system prune` call.
package build

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/berth-project/berth/apiserver/httputils"
	"github.com/berth-project/berth/apiserver/router"
	"github.com/berth-project/berth/builder"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"
)

// Backend builds images and prunes the build cache.
type Backend interface {
	Build(ctx context.Context, opts *builder.Options, body io.Reader, out io.Writer) error
	BuildCachePrune(ctx context.Context, all bool, f filters.Args) (*build.CachePruneReport, error)
}

type buildRouter struct{ b Backend }

// NewRouter returns the build routes backed by b.
func NewRouter(b Backend) router.Router {
	br := &buildRouter{b: b}
	return router.Func(func() []router.Route {
		return []router.Route{
			router.Post("/build/prune", br.prune),
			router.Post("/build", br.build),
		}
	})
}

func (br *buildRouter) prune(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	f, err := filters.Parse(r.Form.Get("filters"))
	if err != nil {
		return err
	}
	rep, err := br.b.BuildCachePrune(ctx, httputils.BoolValue(r, "all"), f)
	if err != nil {
		return err
	}
	if rep.CachesDeleted == nil {
		rep.CachesDeleted = []string{}
	}
	return httputils.WriteJSON(w, http.StatusOK, rep)
}

func (br *buildRouter) build(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
	opts, err := parseOptions(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	out := httputils.NewWriteFlusher(w)
	if err := br.b.Build(ctx, opts, r.Body, out); err != nil {
		// Nothing sent yet: a plain error answer with its status, as
		// Docker (a parse error is a 400, not a 200 with an error line).
		if !out.Flushed() {
			return err
		}
		_, _ = out.Write(formatError(err))
	}
	return nil
}

// streamError is the in-band error of the build stream; code is the
// failing RUN's exit code, which the docker CLI exits with.
type streamError struct {
	ErrorDetail struct {
		Code    int    `json:"code,omitempty"`
		Message string `json:"message"`
	} `json:"errorDetail"`
	Error string `json:"error"`
}

func formatError(err error) []byte {
	var m streamError
	m.ErrorDetail.Message = err.Error()
	var coded interface{ ExitCode() int }
	if errors.As(err, &coded) {
		m.ErrorDetail.Code = coded.ExitCode()
	}
	m.Error = err.Error()
	b, _ := json.Marshal(m)
	return append(b, '\n')
}

// parseOptions decodes the query parameters of POST /build.
func parseOptions(r *http.Request) (*builder.Options, error) {
	if err := httputils.ParseForm(r); err != nil {
		return nil, err
	}
	q := r.Form
	o := &builder.Options{
		Tags:         q["t"],
		Dockerfile:   q.Get("dockerfile"),
		Remote:       q.Get("remote"),
		Target:       q.Get("target"),
		NoCache:      httputils.BoolValue(r, "nocache"),
		Pull:         httputils.BoolValue(r, "pull"),
		Quiet:        httputils.BoolValue(r, "q"),
		Remove:       httputils.BoolValueOrDefault(r, "rm", true),
		ForceRemove:  httputils.BoolValue(r, "forcerm"),
		NetworkMode:  q.Get("networkmode"),
		ExtraHosts:   splitHosts(q["extrahosts"]),
		CPUSetCPUs:   q.Get("cpusetcpus"),
		CPUSetMems:   q.Get("cpusetmems"),
		CgroupParent: q.Get("cgroupparent"),
		SecurityOpt:  q["securityopt"],
		Platform:     q.Get("platform"),
		Squash:       httputils.BoolValue(r, "squash"),
	}
	if o.ForceRemove {
		o.Remove = true
	}
	if v := q.Get("version"); v == "2" {
		return nil, errdefs.NotImplemented("BuildKit (builder version 2) is not implemented: berth runs Docker's classic builder; use DOCKER_BUILDKIT=0")
	}
	for k, dst := range map[string]*int64{
		"shmsize": &o.ShmSize, "memory": &o.Memory, "memswap": &o.MemorySwap,
		"cpushares": &o.CPUShares, "cpuquota": &o.CPUQuota, "cpuperiod": &o.CPUPeriod,
	} {
		v, err := httputils.Int64ValueOrDefault(r, k, 0)
		if err != nil {
			return nil, errdefs.InvalidParameter("invalid %s: %v", k, err)
		}
		*dst = v
	}
	for k, dst := range map[string]any{
		"buildargs": &o.BuildArgs, "labels": &o.Labels, "cachefrom": &o.CacheFrom, "ulimits": &o.Ulimits,
	} {
		if s := q.Get(k); s != "" {
			if err := json.Unmarshal([]byte(s), dst); err != nil {
				return nil, errdefs.InvalidParameter("invalid %s: %v", k, err)
			}
		}
	}
	if o.Ulimits == nil {
		o.Ulimits = []*container.Ulimit{}
	}
	return o, nil
}

// splitHosts accepts both repeated extrahosts and a comma-separated one
// (docker-py's form).
func splitHosts(in []string) []string {
	var out []string
	for _, s := range in {
		for _, h := range strings.Split(s, ",") {
			if h = strings.TrimSpace(h); h != "" {
				out = append(out, h)
			}
		}
	}
	return out
}
