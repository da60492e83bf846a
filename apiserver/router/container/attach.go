package container

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"

	"github.com/berth-project/berth/apiserver/httputils"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types"
)

// streamSetup hijacks the connection on the backend's first GetStreams
// call. The backend's context is cancelled when the client hangs up.
type streamSetup struct {
	ctx    context.Context
	w      http.ResponseWriter
	r      *http.Request
	cancel context.CancelFunc

	mu      sync.Mutex
	hj      *httputils.Hijacked
	mux     bool
	stderrW io.Writer
}

func (s *streamSetup) getStreams(multiplexed bool) (io.ReadCloser, io.Writer, io.Writer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hj != nil {
		return nil, nil, nil, errdefs.Conflict("streams already set up")
	}
	ctype := types.MediaTypeRawStream
	if multiplexed && httputils.VersionAtLeast(s.ctx, "1.42") {
		ctype = types.MediaTypeMultiplexedStream
	}
	hj, err := httputils.Hijack(s.w, s.r, ctype, s.cancel)
	if err != nil {
		return nil, nil, nil, err
	}
	s.hj, s.mux = hj, multiplexed
	if !multiplexed {
		s.stderrW = hj
		return hj.Stdin(), hj, hj, nil
	}
	s.stderrW = httputils.NewStdWriter(hj, httputils.Stderr)
	return hj.Stdin(), httputils.NewStdWriter(hj, httputils.Stdout), s.stderrW, nil
}

// finish ends the hijacked stream; err (from the backend, after the
// stream started) is reported in-band first. It reports whether the
// connection had been hijacked.
func (s *streamSetup) finish(err error) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hj == nil {
		return false
	}
	if err != nil && s.ctx.Err() == nil {
		if s.mux {
			// A Systemerr frame makes stdcopy.StdCopy return the error.
			_, _ = httputils.NewStdWriter(s.hj, 3).Write([]byte(err.Error()))
		} else {
			_, _ = fmt.Fprintf(s.hj, "%v\r\n", err)
		}
	}
	s.hj.Finish()
	return true
}

func (c *containerRouter) attach(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s := &streamSetup{ctx: ctx, w: w, r: r, cancel: cancel}
	err := c.b.ContainerAttach(ctx, vars["name"], &AttachConfig{
		UseStdin:   httputils.BoolValue(r, "stdin"),
		UseStdout:  httputils.BoolValue(r, "stdout"),
		UseStderr:  httputils.BoolValue(r, "stderr"),
		Logs:       httputils.BoolValue(r, "logs"),
		Stream:     httputils.BoolValue(r, "stream"),
		DetachKeys: r.Form.Get("detachKeys"),
		GetStreams: s.getStreams,
	})
	if !s.finish(err) {
		return err
	}
	if err != nil && ctx.Err() == nil {
		slog.Debug("attach ended with error", "container", vars["name"], "error", err)
	}
	return nil
}
