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
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	crouter "github.com/berth-project/berth/apiserver/router/container"
	imagerouter "github.com/berth-project/berth/apiserver/router/image"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/swarm/executor"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// Engine talks to the daemon at a unix socket.
type Engine struct {
	c    *client.Client
	http *http.Client
}

// New connects to the daemon's internal socket.
func New(sock string) (*Engine, error) {
	c, err := client.New(client.WithHost("unix://"+sock), client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}}
	return &Engine{c: c, http: hc}, nil
}

// classify turns the client's errors back into our classes, so the
// executor's IsNotFound/IsConflict checks hold across the socket.
func classify(err error) error {
	switch {
	case err == nil:
		return nil
	case cerrdefs.IsNotFound(err):
		return errdefs.NotFound("%s", err.Error())
	case cerrdefs.IsConflict(err):
		return errdefs.Conflict("%s", err.Error())
	case cerrdefs.IsInvalidArgument(err):
		return errdefs.InvalidParameter("%s", err.Error())
	}
	return err
}

// ContainerCreate implements executor.Containers.
func (e *Engine) ContainerCreate(ctx context.Context, name string, req *container.CreateRequest) (container.CreateResponse, error) {
	r, err := e.c.ContainerCreate(ctx, client.ContainerCreateOptions{Name: name, Config: req.Config, HostConfig: req.HostConfig, NetworkingConfig: req.NetworkingConfig})
	if err != nil {
		return container.CreateResponse{}, classify(err)
	}
	return container.CreateResponse{ID: r.ID, Warnings: r.Warnings}, nil
}

// ContainerStart implements executor.Containers.
func (e *Engine) ContainerStart(ctx context.Context, name string) error {
	_, err := e.c.ContainerStart(ctx, name, client.ContainerStartOptions{})
	return classify(err)
}

// ContainerStop implements executor.Containers.
func (e *Engine) ContainerStop(ctx context.Context, name, signal string, timeout *int) error {
	_, err := e.c.ContainerStop(ctx, name, client.ContainerStopOptions{Signal: signal, Timeout: timeout})
	return classify(err)
}

// ContainerKill implements executor.Containers.
func (e *Engine) ContainerKill(ctx context.Context, name, signal string) error {
	_, err := e.c.ContainerKill(ctx, name, client.ContainerKillOptions{Signal: signal})
	return classify(err)
}

// ContainerRemove implements executor.Containers.
func (e *Engine) ContainerRemove(ctx context.Context, name string, opts crouter.RemoveOptions) error {
	_, err := e.c.ContainerRemove(ctx, name, client.ContainerRemoveOptions{Force: opts.Force, RemoveVolumes: opts.RemoveVolumes})
	return classify(err)
}

// ContainerWait implements executor.Containers.
func (e *Engine) ContainerWait(ctx context.Context, name string, cond container.WaitCondition) (<-chan crouter.WaitResult, error) {
	w := e.c.ContainerWait(ctx, name, client.ContainerWaitOptions{Condition: cond})
	out := make(chan crouter.WaitResult, 1)
	go func() {
		select {
		case r := <-w.Result:
			res := crouter.WaitResult{StatusCode: r.StatusCode}
			if r.Error != nil && r.Error.Message != "" {
				res.Err = fmt.Errorf("%s", r.Error.Message)
			}
			out <- res
		case err := <-w.Error:
			out <- crouter.WaitResult{Err: classify(err)}
		}
	}()
	return out, nil
}

// ContainerInspect implements executor.Containers.
func (e *Engine) ContainerInspect(ctx context.Context, name string, size bool) (*container.InspectResponse, error) {
	r, err := e.c.ContainerInspect(ctx, name, client.ContainerInspectOptions{Size: size})
	if err != nil {
		return nil, classify(err)
	}
	return &r.Container, nil
}

// ContainerLogs implements executor.Containers: the stream is read with
// timestamps and split back into messages.
func (e *Engine) ContainerLogs(ctx context.Context, name string, opts crouter.LogsOptions) (<-chan *crouter.LogMessage, bool, error) {
	insp, err := e.ContainerInspect(ctx, name, false)
	if err != nil {
		return nil, false, err
	}
	tty := insp.Config != nil && insp.Config.Tty
	lo := client.ContainerLogsOptions{ShowStdout: opts.ShowStdout, ShowStderr: opts.ShowStderr, Follow: opts.Follow, Timestamps: true}
	if opts.Tail >= 0 {
		lo.Tail = fmt.Sprint(opts.Tail)
	}
	if !opts.Since.IsZero() {
		lo.Since = opts.Since.Format(time.RFC3339Nano)
	}
	rc, err := e.c.ContainerLogs(ctx, name, lo)
	if err != nil {
		return nil, false, classify(err)
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
	_, err := e.c.ImageInspect(context.Background(), ref)
	return err == nil
}

// PullImage implements executor.Images.
func (e *Engine) PullImage(ctx context.Context, req imagerouter.PullRequest, out io.Writer) error {
	ref := req.Image
	if req.Tag != "" {
		sep := ":"
		if strings.Contains(req.Tag, ":") {
			sep = "@"
		}
		ref += sep + req.Tag
	}
	var opts client.ImagePullOptions
	if req.Auth != nil {
		b, err := json.Marshal(req.Auth)
		if err != nil {
			return err
		}
		opts.RegistryAuth = base64.URLEncoding.EncodeToString(b)
	}
	r, err := e.c.ImagePull(ctx, ref, opts)
	if err != nil {
		return classify(err)
	}
	defer r.Close()
	return r.Wait(ctx)
}

// RemoveTaskContainers deletes every swarm task container (leave).
func (e *Engine) RemoveTaskContainers(ctx context.Context) error {
	l, err := e.c.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", executor.LabelTask)})
	if err != nil {
		return err
	}
	for _, c := range l.Items {
		if _, err := e.c.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !cerrdefs.IsNotFound(err) {
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
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://berthd"+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var m struct{ Message string }
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return fmt.Errorf("%s", m.Message)
	}
	return nil
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
