// Package engine is berth-swarmd's view of its daemon: the container and
// image operations tasks need and the node's ingress load balancer, over
// the daemon's internal API socket. It lets SwarmKit run in a process of
// its own, so a daemon outside a swarm never loads it.
package engine

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"time"

	crouter "github.com/berth-project/berth/apiserver/router/container"
	imagerouter "github.com/berth-project/berth/apiserver/router/image"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/swarm/executor"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
)

// Engine talks to the daemon at a unix socket. It speaks the Engine API
// with a plain HTTP client rather than the moby SDK: the daemon is ours and
// the calls are few, and the SDK (with its OpenTelemetry instrumentation)
// was a megabyte of berth-swarmd's resident memory.
type Engine struct {
	http *http.Client
}

// New connects to the daemon's internal socket.
func New(sock string) (*Engine, error) {
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}}
	return &Engine{http: hc}, nil
}

// ContainerCreate implements executor.Containers.
func (e *Engine) ContainerCreate(ctx context.Context, name string, req *container.CreateRequest) (container.CreateResponse, error) {
	var r container.CreateResponse
	err := e.call(ctx, http.MethodPost, "/containers/create", url.Values{"name": {name}}, req, &r)
	return r, err
}

// ContainerStart implements executor.Containers.
func (e *Engine) ContainerStart(ctx context.Context, name string) error {
	return e.call(ctx, http.MethodPost, "/containers/"+url.PathEscape(name)+"/start", nil, nil, nil)
}

// ContainerStop implements executor.Containers.
func (e *Engine) ContainerStop(ctx context.Context, name, signal string, timeout *int) error {
	q := url.Values{}
	if signal != "" {
		q.Set("signal", signal)
	}
	if timeout != nil {
		q.Set("t", strconv.Itoa(*timeout))
	}
	return e.call(ctx, http.MethodPost, "/containers/"+url.PathEscape(name)+"/stop", q, nil, nil)
}

// ContainerKill implements executor.Containers.
func (e *Engine) ContainerKill(ctx context.Context, name, signal string) error {
	q := url.Values{}
	if signal != "" {
		q.Set("signal", signal)
	}
	return e.call(ctx, http.MethodPost, "/containers/"+url.PathEscape(name)+"/kill", q, nil, nil)
}

// ContainerRemove implements executor.Containers.
func (e *Engine) ContainerRemove(ctx context.Context, name string, opts crouter.RemoveOptions) error {
	q := url.Values{"force": {strconv.FormatBool(opts.Force)}, "v": {strconv.FormatBool(opts.RemoveVolumes)}}
	return e.call(ctx, http.MethodDelete, "/containers/"+url.PathEscape(name), q, nil, nil)
}

// ContainerWait implements executor.Containers: the daemon answers when
// the condition is met, so the request is made in the background.
func (e *Engine) ContainerWait(ctx context.Context, name string, cond container.WaitCondition) (<-chan crouter.WaitResult, error) {
	out := make(chan crouter.WaitResult, 1)
	go func() {
		var r container.WaitResponse
		err := e.call(ctx, http.MethodPost, "/containers/"+url.PathEscape(name)+"/wait", url.Values{"condition": {string(cond)}}, nil, &r)
		res := crouter.WaitResult{StatusCode: r.StatusCode, Err: err}
		if err == nil && r.Error != nil && r.Error.Message != "" {
			res.Err = fmt.Errorf("%s", r.Error.Message)
		}
		out <- res
	}()
	return out, nil
}

// ContainerInspect implements executor.Containers.
func (e *Engine) ContainerInspect(ctx context.Context, name string, size bool) (*container.InspectResponse, error) {
	var r container.InspectResponse
	if err := e.call(ctx, http.MethodGet, "/containers/"+url.PathEscape(name)+"/json", url.Values{"size": {strconv.FormatBool(size)}}, nil, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// ContainerLogs implements executor.Containers: the stream is read with
// timestamps and split back into messages.
func (e *Engine) ContainerLogs(ctx context.Context, name string, opts crouter.LogsOptions) (<-chan *crouter.LogMessage, bool, error) {
	insp, err := e.ContainerInspect(ctx, name, false)
	if err != nil {
		return nil, false, err
	}
	tty := insp.Config != nil && insp.Config.Tty
	q := url.Values{"stdout": {strconv.FormatBool(opts.ShowStdout)}, "stderr": {strconv.FormatBool(opts.ShowStderr)},
		"follow": {strconv.FormatBool(opts.Follow)}, "timestamps": {"1"}}
	if opts.Tail >= 0 {
		q.Set("tail", strconv.Itoa(opts.Tail))
	}
	if !opts.Since.IsZero() {
		q.Set("since", fmt.Sprintf("%d.%09d", opts.Since.Unix(), opts.Since.Nanosecond()))
	}
	rc, err := e.stream(ctx, http.MethodGet, "/containers/"+url.PathEscape(name)+"/logs", q, nil)
	if err != nil {
		return nil, false, err
	}
	out := make(chan *crouter.LogMessage, 64)
	go func() {
		defer close(out)
		defer rc.Close()
		if tty {
			scan(ctx, rc, "stdout", out)
			return
		}
		so, sw := io.Pipe()
		eo, ew := io.Pipe()
		go func() {
			_, err := stdcopy.StdCopy(sw, ew, rc)
			sw.CloseWithError(err)
			ew.CloseWithError(err)
		}()
		done := make(chan struct{})
		go func() { scan(ctx, eo, "stderr", out); close(done) }()
		scan(ctx, so, "stdout", out)
		<-done
	}()
	return out, tty, nil
}

// scan splits "<RFC3339Nano> <line>" records.
func scan(ctx context.Context, r io.Reader, stream string, out chan<- *crouter.LogMessage) {
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			m := &crouter.LogMessage{Stream: stream, Line: line}
			if ts, rest, ok := bytes.Cut(line, []byte(" ")); ok {
				if t, perr := time.Parse(time.RFC3339Nano, string(ts)); perr == nil {
					m.Time, m.Line = t, rest
				}
			}
			select {
			case out <- m:
			case <-ctx.Done():
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// Exists implements executor.Images.
func (e *Engine) Exists(ref string) bool {
	return e.call(context.Background(), http.MethodGet, "/images/"+ref+"/json", nil, nil, nil) == nil
}

// PullImage implements executor.Images: the pull is done when the
// daemon's progress stream ends, failed if a message of it says so.
func (e *Engine) PullImage(ctx context.Context, req imagerouter.PullRequest, out io.Writer) error {
	hdr := http.Header{}
	if req.Auth != nil {
		b, err := json.Marshal(req.Auth)
		if err != nil {
			return err
		}
		hdr.Set("X-Registry-Auth", base64.URLEncoding.EncodeToString(b))
	}
	q := url.Values{"fromImage": {req.Image}}
	if req.Tag != "" {
		q.Set("tag", req.Tag)
	}
	rc, err := e.stream(ctx, http.MethodPost, "/images/create", q, hdr)
	if err != nil {
		return err
	}
	defer rc.Close()
	dec := json.NewDecoder(io.TeeReader(rc, out))
	for {
		var m struct {
			Error       string `json:"error"`
			ErrorDetail *struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&m); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("pull %s: %w", req.Image, err)
		}
		if m.ErrorDetail != nil && m.ErrorDetail.Message != "" {
			return errors.New(m.ErrorDetail.Message)
		}
		if m.Error != "" {
			return errors.New(m.Error)
		}
	}
}

// RemoveTaskContainers deletes every swarm task container (leave).
func (e *Engine) RemoveTaskContainers(ctx context.Context) error {
	var l []container.Summary
	f, _ := json.Marshal(map[string][]string{"label": {executor.LabelTask}})
	if err := e.call(ctx, http.MethodGet, "/containers/json", url.Values{"all": {"1"}, "filters": {string(f)}}, nil, &l); err != nil {
		return err
	}
	for _, c := range l {
		if err := e.ContainerRemove(ctx, c.ID, crouter.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !errdefs.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// IngressRequest is the body of the daemon's internal ingress calls.
type IngressRequest struct {
	Service string                 `json:"service"`
	Ports   []executor.IngressPort `json:"ports,omitempty"`
	Backend netip.Addr             `json:"backend"`
}

// AddIngressBackend implements executor.Ingress.
func (e *Engine) AddIngressBackend(ctx context.Context, service string, ports []executor.IngressPort, backend netip.Addr) error {
	return e.post(ctx, "/_berth/ingress/add", IngressRequest{Service: service, Ports: ports, Backend: backend})
}

// RemoveIngressBackend implements executor.Ingress.
func (e *Engine) RemoveIngressBackend(ctx context.Context, service string, backend netip.Addr) error {
	return e.post(ctx, "/_berth/ingress/remove", IngressRequest{Service: service, Backend: backend})
}

func (e *Engine) post(ctx context.Context, path string, body any) error {
	return e.call(ctx, http.MethodPost, path, nil, body, nil)
}

// EventRequest is the body of the daemon's internal event call.
type EventRequest struct {
	Type       string            `json:"type"`
	Action     string            `json:"action"`
	ID         string            `json:"id"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// Event hands a cluster event to the daemon's event stream.
func (e *Engine) Event(typ, action, id string, attrs map[string]string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = e.post(ctx, "/_berth/events", EventRequest{Type: typ, Action: action, ID: id, Attributes: attrs})
}
