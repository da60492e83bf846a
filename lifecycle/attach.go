package lifecycle

import (
	"context"
	"errors"
	"io"

	containerrouter "github.com/berth-project/berth/apiserver/router/container"
	"github.com/berth-project/berth/container"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/logger/jsonfile"
	"github.com/berth-project/berth/shim/client"
	containertypes "github.com/moby/moby/api/types/container"
)

// pendingAttach is an attach made before the container started; start
// connects it to the shim before the process runs.
type pendingAttach struct {
	opts client.AttachOptions
	done chan (<-chan error) // receives the shim attach's completion channel
}

// ContainerAttach implements POST /containers/{id}/attach.
func (s *Service) ContainerAttach(ctx context.Context, name string, cfg *containerrouter.AttachConfig) error {
	c, err := s.get(name)
	if err != nil {
		return err
	}
	c.Lock()
	tty := c.Config.Tty
	openStdin := c.Config.OpenStdin
	logPath := c.LogPath
	c.Unlock()
	if c.State.Status == containertypes.StatePaused {
		return errdefs.Conflict("You cannot attach to a paused container, unpause it first")
	}
	stdin, stdout, stderr, err := cfg.GetStreams(!tty)
	if err != nil {
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
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	opts := client.AttachOptions{Stdout: stdout, Stderr: stderr}
	if cfg.UseStdin && openStdin && stdin != nil {
		opts.Stdin = newDetachReader(stdin, cfg.DetachKeys, cancel)
	}

	done, err := s.attachStreams(actx, c, opts)
	if err != nil {
		return err
	}
	if done == nil { // container not running and not started: nothing to stream
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

// attachStreams connects to a running container now, or queues the
// attach until start.
func (s *Service) attachStreams(ctx context.Context, c *container.Container, opts client.AttachOptions) (<-chan error, error) {
	c.Lock()
	if sh := s.shim(c.ID); sh != nil && c.IsRunning() {
		c.Unlock()
		return sh.Attach(ctx, opts)
	}
	if c.State.Removing || c.Removed {
		c.Unlock()
		return nil, nil
	}
	// Not running: wait for the next start (`docker start -a` attaches
	// first), as Docker does.
	p := &pendingAttach{opts: opts, done: make(chan (<-chan error), 1)}
	s.mu.Lock()
	s.pending[c.ID] = append(s.pending[c.ID], p)
	s.mu.Unlock()
	ch := c.Changed()
	c.Unlock()
	for {
		select {
		case d := <-p.done:
			return d, nil
		case <-ch:
			c.Lock()
			gone := c.Removed
			ch = c.Changed()
			c.Unlock()
			if gone {
				select {
				case d := <-p.done:
					return d, nil
				default:
				}
				s.dropPending(c.ID, p)
				return nil, nil
			}
		case <-ctx.Done():
			s.dropPending(c.ID, p)
			return nil, nil
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
		done, err := sh.Attach(context.WithoutCancel(ctx), p.opts)
		if err != nil {
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
	return sh.Resize(ctx, uint16(height), uint16(width))
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
