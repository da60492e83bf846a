package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	containerrouter "github.com/berth-project/berth/apiserver/router/container"
	"github.com/berth-project/berth/container"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/logger/jsonfile"
	"github.com/berth-project/berth/shim/client"
	containertypes "github.com/moby/moby/api/types/container"
)

// pendingAttach is an attach made before the container started; start
// connects it to the shim before the process runs. It is registered before
// the client's connection is hijacked: the client sends start as soon as
// it sees the upgrade, and a fast container must not run unobserved.
type pendingAttach struct {
	ready chan struct{} // closed once opts holds the streams
	opts  client.AttachOptions
	done  chan (<-chan error) // receives the shim attach's completion channel
}

// ContainerAttach implements POST /containers/{id}/attach.
func (s *Service) ContainerAttach(ctx context.Context, name string, cfg *containerrouter.AttachConfig) error {
	c, err := s.get(name)
	if err != nil {
		return err
	}
	if _, err := parseDetachKeys(cfg.DetachKeys); err != nil {
		return errdefs.InvalidParameter("Invalid detach keys (%s) provided", cfg.DetachKeys)
	}
	c.Lock()
	s.logEvent(c, "attach", nil)
	tty := c.Config.Tty
	openStdin := c.Config.OpenStdin
	logPath := c.LogPath
	paused := c.State.Status == containertypes.StatePaused
	var p *pendingAttach
	if cfg.Stream && !c.IsRunning() && !c.State.Removing && !c.Removed {
		p = &pendingAttach{ready: make(chan struct{}), done: make(chan (<-chan error), 1)}
		s.mu.Lock()
		s.pending[c.ID] = append(s.pending[c.ID], p)
		s.mu.Unlock()
	}
	c.Unlock()
	if paused {
		return errdefs.Conflict("You cannot attach to a paused container, unpause it first")
	}
	stdin, stdout, stderr, err := cfg.GetStreams(!tty)
	if err != nil {
		if p != nil {
			s.dropPending(c.ID, p)
			close(p.ready)
		}
		return err
	}
	if stdin != nil {
		defer stdin.Close()
	}
	if !cfg.UseStdout {
		stdout = nil
	}
	if !cfg.UseStderr {
		stderr = nil
	}
	if tty {
		stderr = nil // everything arrives on the pty
	}
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	opts := client.AttachOptions{Stdout: stdout, Stderr: stderr}
	if cfg.Stream && cfg.UseStdin && openStdin && stdin != nil {
		opts.Stdin = newDetachReader(stdin, cfg.DetachKeys, cancel)
	}
	if p != nil {
		p.opts = opts
		close(p.ready)
	}
	if cfg.Logs && logPath != "" {
		for m := range jsonfile.Read(ctx, logPath, jsonfile.ReadOptions{Tail: -1}) {
			if m.Err != nil {
				break
			}
			w := stdout
			if m.Stream == "stderr" && !tty {
				w = stderr
			}
			if w != nil {
				_, _ = w.Write(m.Line)
			}
		}
	}
	if !cfg.Stream {
		return nil
	}

	var done <-chan error
	if p != nil {
		done = s.waitPending(actx, c, p)
	} else if done, err = s.attachRunning(actx, c, opts); err != nil {
		return err
	}
	if done == nil { // nothing to stream: removed, exited, or client gone
		return nil
	}
	select {
	case err := <-done:
		if errors.Is(err, errDetached) || actx.Err() != nil {
			return nil
		}
		return err
	case <-actx.Done():
		return nil
	}
}

// attachRunning connects to a running container's shim; nil when the
// container is no longer running.
func (s *Service) attachRunning(ctx context.Context, c *container.Container, opts client.AttachOptions) (<-chan error, error) {
	c.Lock()
	sh := s.shim(c.ID)
	running := c.IsRunning()
	c.Unlock()
	if sh == nil || !running {
		return nil, nil
	}
	done, err := sh.Attach(ctx, opts)
	if err != nil && !s.isRunning(c) {
		return nil, nil // it exited meanwhile: nothing left to stream
	}
	return done, err
}

// waitPending waits until start connects p, or the container is removed,
// or the client goes away.
func (s *Service) waitPending(ctx context.Context, c *container.Container, p *pendingAttach) <-chan error {
	c.Lock()
	ch := c.Changed()
	c.Unlock()
	for {
		select {
		case d := <-p.done:
			return d
		case <-ch:
			c.Lock()
			gone := c.Removed
			ch = c.Changed()
			c.Unlock()
			if gone {
				select {
				case d := <-p.done:
					return d
				default:
				}
				s.dropPending(c.ID, p)
				return nil
			}
		case <-ctx.Done():
			s.dropPending(c.ID, p)
			return nil
		}
	}
}

func (s *Service) dropPending(id string, p *pendingAttach) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.pending[id]
	for i, q := range list {
		if q == p {
			s.pending[id] = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(s.pending[id]) == 0 {
		delete(s.pending, id)
	}
}

// endPending releases attaches queued for a start that failed.
func (s *Service) endPending(id string) {
	s.mu.Lock()
	list := s.pending[id]
	delete(s.pending, id)
	s.mu.Unlock()
	for _, p := range list {
		ch := make(chan error, 1)
		ch <- nil
		p.done <- ch
	}
}

// connectPending attaches queued clients to a freshly created shim.
func (s *Service) connectPending(ctx context.Context, c *container.Container, sh *client.Shim) {
	s.mu.Lock()
	list := s.pending[c.ID]
	delete(s.pending, c.ID)
	s.mu.Unlock()
	for _, p := range list {
		select {
		case <-p.ready:
		case <-time.After(5 * time.Second): // the client never finished its handshake
			continue
		}
		done, err := sh.Attach(context.WithoutCancel(ctx), p.opts)
		if err != nil {
			logShimFailure(s.bundleDir(c.ID), "attach", err)
			ch := make(chan error, 1)
			ch <- err
			done = ch
		}
		p.done <- done
	}
}

// ContainerResize implements POST /containers/{id}/resize.
func (s *Service) ContainerResize(ctx context.Context, name string, height, width int) error {
	c, err := s.get(name)
	if err != nil {
		return err
	}
	sh := s.shim(c.ID)
	if sh == nil {
		return errdefs.Conflict("Container %s is not running", c.ID)
	}
	if err := sh.Resize(ctx, uint16(height), uint16(width)); err != nil {
		return err
	}
	s.logEvent(c, "resize", map[string]string{"height": itoa(height), "width": itoa(width)})
	return nil
}

// ContainerLogs implements GET /containers/{id}/logs.
func (s *Service) ContainerLogs(ctx context.Context, name string, opts containerrouter.LogsOptions) (<-chan *containerrouter.LogMessage, bool, error) {
	c, err := s.get(name)
	if err != nil {
		return nil, false, err
	}
	if !opts.ShowStdout && !opts.ShowStderr {
		return nil, false, errdefs.InvalidParameter("You must choose at least one stream")
	}
	c.Lock()
	tty := c.Config.Tty
	path := c.LogPath
	driver := s.logDriver(c)
	running := c.IsRunning()
	stop := make(chan struct{})
	if running && opts.Follow {
		go func(ch <-chan struct{}) {
			for {
				select {
				case <-ch:
					if !s.isRunning(c) {
						close(stop)
						return
					}
					c.Lock()
					ch = c.Changed()
					c.Unlock()
				case <-ctx.Done():
					return
				}
			}
		}(c.Changed())
	} else {
		close(stop)
	}
	c.Unlock()
	if driver == "none" || path == "" {
		return nil, false, errdefs.InvalidParameter("configured logging driver does not support reading")
	}
	in := jsonfile.Read(ctx, path, jsonfile.ReadOptions{Tail: opts.Tail, Since: opts.Since, Until: opts.Until, Follow: opts.Follow, StopFollow: stop})
	out := make(chan *containerrouter.LogMessage, 16)
	go func() {
		defer close(out)
		for m := range in {
			if m.Err == nil && ((m.Stream == "stdout" && !opts.ShowStdout) || (m.Stream == "stderr" && !opts.ShowStderr)) {
				continue
			}
			msg := &containerrouter.LogMessage{Stream: m.Stream, Line: m.Line, Time: m.Time, Attrs: m.Attrs, Err: m.Err}
			select {
			case out <- msg:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, tty, nil
}

var errDetached = errors.New("detached from container")

// detachReader passes stdin through until the detach key sequence
// (default ctrl-p,ctrl-q) is typed, then reports errDetached.
type detachReader struct {
	r        io.Reader
	keys     []byte
	seen     int
	onDetach func()
}

func newDetachReader(r io.Reader, keys string, onDetach func()) io.Reader {
	seq, err := parseDetachKeys(keys)
	if err != nil || len(seq) == 0 {
		return r
	}
	return &detachReader{r: r, keys: seq, onDetach: onDetach}
}

func (d *detachReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	for i := 0; i < n; i++ {
		if p[i] == d.keys[d.seen] {
			d.seen++
			if d.seen == len(d.keys) {
				d.onDetach()
				return 0, errDetached
			}
		} else {
			d.seen = 0
		}
	}
	return n, err
}

// parseDetachKeys understands Docker's "ctrl-p,ctrl-q" notation.
func parseDetachKeys(s string) ([]byte, error) {
	if s == "" {
		s = "ctrl-p,ctrl-q"
	}
	var out []byte
	for _, k := range splitComma(s) {
		switch {
		case len(k) == 1:
			out = append(out, k[0])
		case len(k) == 6 && k[:5] == "ctrl-":
			ch := k[5]
			switch {
			case ch >= 'a' && ch <= 'z':
				out = append(out, ch-'a'+1)
			case ch == '@':
				out = append(out, 0)
			case ch >= '[' && ch <= '_':
				out = append(out, ch-'['+27)
			default:
				return nil, errdefs.InvalidParameter("Invalid escape keys (%s) provided", s)
			}
		default:
			return nil, errdefs.InvalidParameter("Invalid escape keys (%s) provided", s)
		}
	}
	return out, nil
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

// logShimFailure copies the shim's own log to the daemon log: the bundle
// (and shim.log with it) is removed when the container's run ends.
func logShimFailure(bundle, what string, err error) {
	data, _ := os.ReadFile(filepath.Join(bundle, "shim.log"))
	fmt.Fprintf(os.Stderr, "shim %s failed for %s: %v\nshim.log:\n%s\n", what, filepath.Base(bundle), err, data)
}
