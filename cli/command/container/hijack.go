package container

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/berth-project/berth/cli/command"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
	"github.com/moby/term"
)

// defaultEscapeKeys is ctrl-p,ctrl-q, docker's default detach sequence.
var defaultEscapeKeys = []byte{16, 17}

// streamer copies a hijacked attach/exec connection to the CLI streams.
// With a TTY the terminal goes raw and stdin is watched for the detach
// keys; without one, output is demultiplexed from stdcopy frames.
type streamer struct {
	cli        *command.Cli
	in         io.ReadCloser
	out, err   io.Writer
	resp       client.HijackedResponse
	tty        bool
	detachKeys string
}

func validateDetachKeys(keys string) error {
	if keys == "" {
		return nil
	}
	if _, err := term.ToBytes(keys); err != nil {
		return fmt.Errorf("invalid detach keys (%s) provided", keys)
	}
	return nil
}

func (s *streamer) setupInput() (func(), error) {
	if s.in == nil || !s.tty {
		return func() {}, nil
	}
	keys := defaultEscapeKeys
	if s.detachKeys != "" {
		k, err := term.ToBytes(s.detachKeys)
		if err != nil {
			return nil, fmt.Errorf("invalid detach keys (%s) provided", s.detachKeys)
		}
		keys = k
	}
	var restores []func()
	if fd, ok := s.cli.InFd(); ok {
		st, err := term.SetRawTerminal(fd)
		if err != nil {
			return nil, fmt.Errorf("unable to set IO streams as raw terminal: %s", err)
		}
		restores = append(restores, func() { _ = term.RestoreTerminal(fd, st) })
	}
	if fd, ok := s.cli.OutFd(); ok {
		if st, err := term.SetRawTerminalOutput(fd); err == nil {
			restores = append(restores, func() { _ = term.RestoreTerminal(fd, st) })
		}
	}
	inner := s.in
	s.in = readCloser{Reader: term.NewEscapeProxy(inner, keys), close: inner.Close}
	return sync.OnceFunc(func() {
		for _, r := range restores {
			r()
		}
	}), nil
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

// stream runs until output ends, the detach keys are typed (returns a
// term.EscapeError) or ctx is cancelled.
func (s *streamer) stream(ctx context.Context) error {
	restore, err := s.setupInput()
	if err != nil {
		return fmt.Errorf("unable to setup input stream: %s", err)
	}
	defer restore()

	var outDone chan error
	if s.out != nil || s.err != nil {
		outDone = make(chan error, 1)
		go func() {
			var err error
			if s.tty && s.out != nil {
				_, err = io.Copy(s.out, s.resp.Reader)
				restore()
			} else {
				out, errw := s.out, s.err
				if out == nil {
					out = io.Discard
				}
				if errw == nil {
					errw = io.Discard
				}
				_, err = stdcopy.StdCopy(out, errw, s.resp.Reader)
			}
			outDone <- err
		}()
	}
	inDone := make(chan struct{})
	detached := make(chan error, 1)
	go func() {
		if s.in != nil {
			_, err := io.Copy(s.resp.Conn, s.in)
			restore()
			if _, ok := err.(term.EscapeError); ok {
				detached <- err
				return
			}
		}
		_ = s.resp.CloseWrite()
		close(inDone)
	}()

	select {
	case err := <-outDone:
		return err
	case <-inDone:
		if outDone != nil {
			select {
			case err := <-outDone:
				return err
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	case err := <-detached:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
