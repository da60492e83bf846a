package container

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/berth-project/berth/apiserver/httputils"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types"
)

// rfc3339NanoFixed is Docker's log timestamp layout: always nine
// fractional digits so columns line up.
const rfc3339NanoFixed = "2006-01-02T15:04:05.000000000Z07:00"

func (c *containerRouter) logs(ctx context.Context, w http.ResponseWriter, r *http.Request, vars map[string]string) error {
	if err := httputils.ParseForm(r); err != nil {
		return err
	}
	// Everything is validated before the stream starts: once the 200 is
	// out, errors can only be reported in-band.
	opts := LogsOptions{
		ShowStdout: httputils.BoolValue(r, "stdout"),
		ShowStderr: httputils.BoolValue(r, "stderr"),
		Follow:     httputils.BoolValue(r, "follow"),
		Timestamps: httputils.BoolValue(r, "timestamps"),
		Details:    httputils.BoolValue(r, "details"),
		Tail:       parseTail(r.Form.Get("tail")),
	}
	if !opts.ShowStdout && !opts.ShowStderr {
		return errdefs.InvalidParameter("Bad parameters: you must choose at least one stream")
	}
	var err error
	if opts.Since, err = logTime(r.Form.Get("since")); err != nil {
		return err
	}
	if opts.Until, err = logTime(r.Form.Get("until")); err != nil {
		return err
	}
	msgs, tty, err := c.b.ContainerLogs(ctx, vars["name"], opts)
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
	writeLogStream(ctx, httputils.NewWriteFlusher(w), msgs, opts, mux)
	return nil
}

// parseTail maps "all", "" and anything unparsable or negative to -1 (all),
// as Docker does.
func parseTail(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// logTime parses since/until; "0" (the CLI's default) means no bound.
func logTime(s string) (time.Time, error) {
	t, err := httputils.ParseTimestamp(s)
	if err != nil || t.IsZero() || t.UnixNano() == 0 {
		return time.Time{}, err
	}
	return t, nil
}

// writeLogStream copies messages until the channel closes, the client goes
// away or the server shuts down. Each message is written (and flushed) as
// one frame.
func writeLogStream(ctx context.Context, out *httputils.WriteFlusher, msgs <-chan *LogMessage, opts LogsOptions, mux bool) {
	out.Flush()
	var stdout, stderr io.Writer = out, out
	if mux {
		stdout = httputils.NewStdWriter(out, httputils.Stdout)
		stderr = httputils.NewStdWriter(out, httputils.Stderr)
	}
	shutdown := httputils.ShutdownFromContext(ctx)
	var buf []byte
	for {
		var msg *LogMessage
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
			fmt.Fprintf(stderr, "Error grabbing logs: %v\n", msg.Err)
			return
		}
		dst := stdout
		switch msg.Stream {
		case "stderr":
			if !opts.ShowStderr {
				continue
			}
			dst = stderr
		default:
			if !opts.ShowStdout {
				continue
			}
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

// appendAttrs renders details as sorted, query-escaped k=v pairs joined by
// commas (Docker's format).
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
