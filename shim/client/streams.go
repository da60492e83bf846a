package client

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/berth-project/berth/shim/proto"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// AttachOptions select streams; nil fields are not attached. For a TTY
// container everything arrives on Stdout.
type AttachOptions struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// Attach connects streams; the returned channel yields once output ends
// (the container exited and output is drained) or ctx is cancelled.
func (s *Shim) Attach(ctx context.Context, opts AttachOptions) (<-chan error, error) {
	c, br, _, err := s.dial(ctx, proto.Request{Op: proto.OpAttach,
		Stdin: opts.Stdin != nil, Stdout: opts.Stdout != nil, Stderr: opts.Stderr != nil})
	if err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	stop := context.AfterFunc(ctx, func() { c.Close() })
	if opts.Stdin != nil {
		go copyStdin(c, opts.Stdin)
	}
	go func() {
		defer stop()
		defer c.Close()
		_, err := demux(br, opts.Stdout, opts.Stderr)
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		done <- err
	}()
	return done, nil
}

// copyStdin forwards stdin and half-closes: that is stdin EOF for the shim.
func copyStdin(c *net.UnixConn, r io.Reader) {
	_, _ = io.Copy(c, r)
	_ = c.CloseWrite()
}

// demux writes frames to their streams until EOF or an exit frame, whose
// exit code it returns. A failing writer ends the stream (the shim then
// drops this connection rather than stalling).
func demux(r *bufio.Reader, stdout, stderr io.Writer) (*int, error) {
	buf := make([]byte, 32*1024)
	for {
		stream, p, err := proto.ReadFrame(r, buf)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, nil
			}
			return nil, err
		}
		if cap(p) > cap(buf) {
			buf = p[:0]
		}
		var w io.Writer
		switch stream {
		case proto.Stdout:
			w = stdout
		case proto.Stderr:
			w = stderr
		case proto.ExitFrame:
			var e proto.ExecExit
			if err := json.Unmarshal(p, &e); err != nil {
				return nil, fmt.Errorf("exec exit frame: %w", err)
			}
			return &e.ExitCode, nil
		}
		if w != nil {
			if _, err := w.Write(p); err != nil {
				return nil, err
			}
		}
	}
}

// ExecOptions describe an exec process's stdio.
type ExecOptions struct {
	Tty           bool
	Stdin         io.Reader // nil: no stdin
	Stdout        io.Writer
	Stderr        io.Writer
	Height, Width uint16
}

// Exec starts p inside the container and returns its host pid; wait blocks
// until it exits and its output is flushed, returning the exit code.
func (s *Shim) Exec(ctx context.Context, execID string, p *specs.Process, opts ExecOptions) (pid int, wait func() (int, error), err error) {
	c, br, resp, err := s.dial(ctx, proto.Request{Op: proto.OpExec, ExecID: execID, Process: p,
		Tty: opts.Tty, Stdin: opts.Stdin != nil, Height: opts.Height, Width: opts.Width})
	if err != nil {
		return 0, nil, err
	}
	if opts.Stdin != nil {
		go copyStdin(c, opts.Stdin)
	}
	type result struct {
		code int
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		defer c.Close()
		code, err := demux(br, opts.Stdout, opts.Stderr)
		switch {
		case err != nil:
			ch <- result{-1, err}
		case code == nil:
			ch <- result{-1, errors.New("exec stream ended without exit status")}
		default:
			ch <- result{*code, nil}
		}
	}()
	var res *result
	return resp.Pid, func() (int, error) {
		if res == nil {
			r := <-ch
			res = &r
		}
		return res.code, res.err
	}, nil
}
