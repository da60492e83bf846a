package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/berth-project/berth/internal/errdefs"
)

// call makes one request of the daemon's API: body and out are JSON (nil
// for none). An error status comes back as the errdefs class it stands
// for, so the executor's IsNotFound/IsConflict checks hold across the
// socket; 304 (already started, already stopped) is no error, as with
// dockerd's clients.
func (e *Engine) call(ctx context.Context, method, path string, q url.Values, body, out any) error {
	resp, err := e.do(ctx, method, path, q, body, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil || resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusNotModified {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	return nil
}

// stream is call for a response read as it comes (logs, pull progress).
func (e *Engine) stream(ctx context.Context, method, path string, q url.Values, hdr http.Header) (io.ReadCloser, error) {
	resp, err := e.do(ctx, method, path, q, nil, hdr)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

func (e *Engine) do(ctx context.Context, method, path string, q url.Values, body any, hdr http.Header) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	u := "http://berthd" + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 == 2 || resp.StatusCode == http.StatusNotModified {
		return resp, nil
	}
	defer resp.Body.Close()
	var m struct {
		Message string `json:"message"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if json.Unmarshal(b, &m) != nil || m.Message == "" {
		m.Message = string(bytes.TrimSpace(b))
	}
	return nil, errdefs.FromStatus(resp.StatusCode, m.Message)
}
