package shim

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"syscall"

	"github.com/berth-project/berth/shim/proto"
)

// serve accepts daemon connections until the listener closes.
func (s *shim) serve() {
	for {
		c, err := s.listener.AcceptUnix()
		if err != nil {
			return
		}
		go s.handle(c)
	}
}

func (s *shim) handle(c *net.UnixConn) {
	defer s.recoverPanic("request")
	// The request is one line; read it byte-wise-buffered but hand the
	// buffered remainder (early stdin) on to the stream handlers.
	br := bufio.NewReaderSize(c, 4096)
	line, err := br.ReadBytes('\n')
	if err != nil {
		c.Close()
		return
	}
	var req proto.Request
	if err := json.Unmarshal(line, &req); err != nil {
		reply(c, proto.Response{Error: "bad request: " + err.Error()})
		c.Close()
		return
	}
	in := io.MultiReader(io.LimitReader(br, int64(br.Buffered())), c)
	switch req.Op {
	case proto.OpAttach:
		s.attach(c, in, req)
		return
	case proto.OpExec:
		s.execOp(c, in, req)
		return
	case proto.OpWait:
		s.waitOp(c)
		return
	}
	var resp proto.Response
	var opErr error
	switch req.Op {
	case proto.OpStart:
		if opErr = s.start(); opErr == nil {
			defer trimMemory() // after the reply: off the start path
		}
	case proto.OpState:
		s.mu.Lock()
		resp.Pid, resp.Status = s.pid, s.status
		s.mu.Unlock()
	case proto.OpKill:
		opErr = s.ifAlive(func() error { return s.exe.Kill(syscall.Signal(req.Signal), req.All) })
	case proto.OpResize:
		opErr = s.resize(s.console, req.Height, req.Width)
	case proto.OpResizeExec:
		opErr = s.resizeExec(req.ExecID, req.Height, req.Width)
	case proto.OpPause:
		opErr = s.setPaused(true)
	case proto.OpResume:
		opErr = s.setPaused(false)
	case proto.OpUpdate:
		opErr = s.ifAlive(func() error { return s.exe.Update(req.Resources) })
	case proto.OpPids:
		opErr = s.ifAlive(func() (err error) { resp.Pids, err = s.exe.Pids(); return err })
	default:
		opErr = errors.New("unknown op " + req.Op)
	}
	if opErr != nil {
		resp.Error = opErr.Error()
	}
	reply(c, resp)
	c.Close()
}

func reply(c net.Conn, r proto.Response) error {
	_, err := c.Write(proto.Marshal(r))
	return err
}

var errStopped = errors.New("container is not running")

// ifAlive runs f unless init has exited.
func (s *shim) ifAlive(f func() error) error {
	s.mu.Lock()
	stopped := s.status == "stopped"
	s.mu.Unlock()
	if stopped {
		return errStopped
	}
	return f()
}

func (s *shim) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status != "created" {
		return errors.New("container is " + s.status + ", not created")
	}
	trace("start req")
	if err := s.exe.Start(); err != nil {
		return err
	}
	trace("started")
	s.status = "running"
	return nil
}

func (s *shim) setPaused(pause bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.status == "stopped":
		return errStopped
	case pause && s.status == "paused":
		return errors.New("container is already paused")
	case !pause && s.status != "paused":
		return errors.New("container is not paused")
	}
	if pause {
		if err := s.exe.Pause(); err != nil {
			return err
		}
		s.status = "paused"
		return nil
	}
	if err := s.exe.Resume(); err != nil {
		return err
	}
	s.status = "running"
	return nil
}

// waitOp answers once the exit is final (output drained, exit.json
// written).
func (s *shim) waitOp(c *net.UnixConn) {
	s.waiters.Add(1)
	defer s.waiters.Done()
	defer c.Close()
	// A waiter that hangs up early must not be answered forever: watch
	// for its close while waiting.
	gone := make(chan struct{})
	go func() {
		var b [1]byte
		for {
			if _, err := c.Read(b[:]); err != nil {
				close(gone)
				return
			}
		}
	}()
	select {
	case <-s.exitCh:
		e := s.exit
		reply(c, proto.Response{ExitCode: e.ExitCode, ExitedAt: e.ExitedAt, OOMKilled: e.OOMKilled})
	case <-gone:
	}
}

// attach registers c for output and copies its bytes to the container's
// stdin.
func (s *shim) attach(c *net.UnixConn, in io.Reader, req proto.Request) {
	if req.Stdin && s.stdinW == nil {
		req.Stdin = false // nothing to write to; accept like Docker does
	}
	if err := reply(c, proto.Response{}); err != nil {
		c.Close()
		return
	}
	if !s.out.add(c, req.Stdout, req.Stderr) {
		c.Close() // output already over
		return
	}
	if !req.Stdin {
		return
	}
	go func() {
		_, err := io.Copy(writerFunc(s.writeStdin), in)
		if (err == nil || isEOF(err)) && s.opts.stdinOnce && !s.opts.tty {
			s.closeStdin()
		}
	}()
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func (s *shim) writeStdin(p []byte) (int, error) {
	s.stdinMu.Lock()
	w := s.stdinW
	s.stdinMu.Unlock()
	if w == nil {
		return 0, os.ErrClosed
	}
	return w.Write(p)
}

func (s *shim) closeStdin() {
	s.stdinMu.Lock()
	defer s.stdinMu.Unlock()
	if s.stdinW != nil && s.stdinW != s.console {
		s.stdinW.Close()
		s.stdinW = nil
	}
}
