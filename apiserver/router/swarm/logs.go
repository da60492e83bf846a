package swarm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/berth-project/berth/apiserver/httputils"
	"github.com/berth-project/berth/apiserver/router/container"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types"
)

// rfc3339NanoFixed is Docker's log timestamp layout (nine fractional
// digits, so that columns line up).
const rfc3339NanoFixed = "2006-01-02T15:04:05.000000000Z07:00"

// systemErr is stdcopy's stream 3: an error of the daemon's, which clients
// report instead of printing it as log output.
const systemErr byte = 3

func (s *swarmRouter) getServiceLogs(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	return s.logs(ctx, w, r, LogSelector{Services: []string{vars["id"]}})
}

func (s *swarmRouter) getTaskLogs(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	return s.logs(ctx, w, r, LogSelector{Tasks: []string{vars["id"]}})
}

// logs validates everything before the 200 goes out: afterwards errors can
// only travel in-band. The checks come in dockerd's order (streams, since,
// the objects' lookup, then tail, which dockerd checks in its cluster).
// until is not a parameter of these routes in dockerd and is ignored.
func (s *swarmRouter) logs(ctx context.Context, w http.ResponseWriter, r *http.Request, sel LogSelector) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	opts := container.LogsOptions{
		ShowStdout: httputils.BoolValue(r, "stdout"),
		ShowStderr: httputils.BoolValue(r, "stderr"),
		Follow:     httputils.BoolValue(r, "follow"),
		Timestamps: httputils.BoolValue(r, "timestamps"),
		Details:    httputils.BoolValue(r, "details"),
	}
	if !opts.ShowStdout && !opts.ShowStderr {
		return errdefs.InvalidParameter("must specify at least one of 'stdout' or 'stderr'")
	}
	since, err := parseSince(r.Form.Get("since"))
	if err != nil {
		return errdefs.InvalidParameter(`invalid value for "since": %v`, err)
	}
	if !since.IsZero() && !since.Equal(time.Unix(0, 0)) { // "0", the CLI's default, is no bound
		opts.Since = since
	}
	tail, tailErr := parseTail(r.Form.Get("tail"))
	tty, err := s.isTTY(ctx, sel)
	if err != nil {
		return err
	}
	if tailErr != nil {
		return tailErr
	}
	opts.Tail = tail
	msgs, err := s.b.ServiceLogs(ctx, sel, opts)
	if err != nil {
		return err
	}
	mux := !tty
	ctype := types.MediaTypeRawStream
	if mux && httputils.VersionAtLeast(ctx, "1.42") {
		ctype = types.MediaTypeMultiplexedStream
	}
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(http.StatusOK)
	writeLogs(ctx, httputils.NewWriteFlusher(w), msgs, opts, mux)
	return nil
}

// isTTY reports whether any selected service or task runs with a TTY: its
// output then has no stdout/stderr distinction and is sent raw. A missing
// object is the lookup's error (404), as in dockerd.
func (s *swarmRouter) isTTY(ctx context.Context, sel LogSelector) (bool, error) {
	tty := false
	for _, id := range sel.Services {
		svc, err := s.b.GetService(ctx, id, false)
		if err != nil {
			return false, err
		}
		if cs := svc.Spec.TaskTemplate.ContainerSpec; cs != nil && cs.TTY {
			tty = true
		}
	}
	for _, id := range sel.Tasks {
		t, err := s.b.GetTask(ctx, id)
		if err != nil {
			return false, err
		}
		if cs := t.Spec.ContainerSpec; cs != nil && cs.TTY {
			tty = true
		}
	}
	return tty, nil
}

// parseTail is dockerd's swarm tail: "" and "all" are everything (-1),
// otherwise a non-negative integer. dockerd's errors here are unclassed,
// hence 500, and are kept so.
func parseTail(s string) (int, error) {
	if s == "" || s == "all" {
		return -1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, errors.New(`tail value must be a positive integer or "all"`)
	}
	if n < 0 {
		return 0, errors.New("negative tail values not supported")
	}
	return n, nil
}

// maxFracDigits bounds the fractional part of since; dockerd accepts up
// to a uint64's worth of digits and keeps nanoseconds.
const maxFracDigits = 20

// parseSince reads since as dockerd does: Unix seconds with an optional
// fraction ("1700000000.5"), in dockerd's error wording.
func parseSince(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := parseUnix(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid timestamp %q: %w", s, err)
	}
	return t, nil
}

func parseUnix(s string) (time.Time, error) {
	secStr, frac, _ := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(secStr, 10, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) {
			err = ne.Err
		}
		return time.Time{}, fmt.Errorf("invalid seconds %q: %w", secStr, err)
	}
	if strings.Trim(frac, "0") == "" && len(frac) <= 9 {
		return time.Unix(sec, 0).UTC(), nil
	}
	if len(frac) > maxFracDigits {
		return time.Time{}, fmt.Errorf("invalid nanoseconds: length %d exceeds maximum %d", len(frac), maxFracDigits)
	}
	for i := 0; i < len(frac); i++ {
		if c := frac[i]; c < '0' || c > '9' {
			return time.Time{}, fmt.Errorf("invalid nanoseconds: invalid character %q at position %d", c, i)
		}
	}
	if len(frac) > 9 {
		frac = frac[:9]
	}
	frac += strings.Repeat("0", 9-len(frac))
	nsec, _ := strconv.ParseInt(frac, 10, 64) // nine digits: cannot fail
	return time.Unix(sec, nsec).UTC(), nil
}

// writeLogs copies messages until the channel closes, the client leaves
// or the server shuts down; each message is one write (one frame when
// multiplexed). A message's error goes to the system-error stream and the
// stream goes on, as in dockerd; messages of other streams are dropped.
func writeLogs(ctx context.Context, out *httputils.WriteFlusher, msgs <-chan *container.LogMessage, opts container.LogsOptions, mux bool) {
	out.Flush()
	var stdout, stderr, syserr io.Writer = out, out, out
	if mux {
		stdout = httputils.NewStdWriter(out, httputils.Stdout)
		stderr = httputils.NewStdWriter(out, httputils.Stderr)
		syserr = httputils.NewStdWriter(out, systemErr)
	}
	shutdown := httputils.ShutdownFromContext(ctx)
	var buf []byte
	for {
		var msg *container.LogMessage
		var ok bool
		select {
		case msg, ok = <-msgs:
		case <-ctx.Done():
			return
		case <-shutdown:
			return
		}
		if !ok {
			return
		}
		if msg == nil {
			continue
		}
		if msg.Err != nil {
			if _, err := fmt.Fprintf(syserr, "Error grabbing logs: %v\n", msg.Err); err != nil {
				return
			}
			continue
		}
		var dst io.Writer
		switch {
		case msg.Stream == "stdout" && opts.ShowStdout:
			dst = stdout
		case msg.Stream == "stderr" && opts.ShowStderr:
			dst = stderr
		default:
			continue
		}
		buf = buf[:0]
		if opts.Timestamps {
			buf = msg.Time.AppendFormat(buf, rfc3339NanoFixed)
			buf = append(buf, ' ')
		}
		if opts.Details {
			buf = appendAttrs(buf, msg.Attrs)
			buf = append(buf, ' ')
		}
		buf = append(buf, msg.Line...)
		if _, err := dst.Write(buf); err != nil {
			return
		}
	}
}

// appendAttrs renders details as dockerd does: k=v pairs sorted by key,
// both query-escaped, joined by commas; `docker service logs` parses them
// back into the node, service and task of each line.
func appendAttrs(buf []byte, attrs map[string]string) []byte {
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, url.QueryEscape(k)...)
		buf = append(buf, '=')
		buf = append(buf, url.QueryEscape(attrs[k])...)
	}
	return buf
}
