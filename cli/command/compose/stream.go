package compose

import (
	"context"
	"io"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
	"github.com/moby/term"
)

// stream copies stdin to a hijacked connection and its output to our
// streams until the remote side closes; a tty puts the local terminal in
// raw mode meanwhile.
func (e *env) stream(ctx context.Context, h client.HijackedResponse, tty, stdin bool) error {
	defer h.Close()
	if tty && stdin {
		if fd, ok := e.c.InFd(); ok {
			if st, err := term.SetRawTerminal(fd); err == nil {
				defer term.RestoreTerminal(fd, st)
			}
		}
	}
	if stdin {
		go func() {
			_, _ = io.Copy(h.Conn, e.c.In())
			if cw, ok := h.Conn.(interface{ CloseWrite() error }); ok {
				_ = cw.CloseWrite()
			}
		}()
	}
	done := make(chan error, 1)
	go func() {
		var err error
		if tty {
			_, err = io.Copy(e.c.Out(), h.Reader)
		} else {
			_, err = stdcopy.StdCopy(e.c.Out(), e.c.Err(), h.Reader)
		}
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
