package shim

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/berth-project/berth/shim/proto"
)

// execProc is a running exec process.
type execProc struct {
	console *os.File
}

// execOp starts an exec process and streams its output over c, ending with
// the exit frame.
func (s *shim) execOp(c *net.UnixConn, in io.Reader, req proto.Request) {
	fail := func(err error) {
		reply(c, proto.Response{Error: err.Error()})
		c.Close()
	}
	if req.Process == nil || len(req.Process.Args) == 0 {
		fail(errors.New("exec: no process args"))
		return
	}
	s.mu.Lock()
	status := s.status
	_, dup := s.execs[req.ExecID]
	s.mu.Unlock()
	if status != "running" {
		fail(errors.New("container is " + status + ", not running"))
		return
	}
	if req.ExecID == "" || dup {
		fail(errors.New("exec: missing or duplicate exec id"))
		return
	}
	p := *req.Process
	p.Terminal = req.Tty
	pio := procIO{Tty: req.Tty, Height: req.Height, Width: req.Width}
	var ours, theirs []*os.File
	var stdinW *os.File
	if !req.Tty {
		outR, outW, err := os.Pipe()
		if err != nil {
			fail(err)
			return
		}
		errR, errW, err := os.Pipe()
		if err != nil {
			fail(err)
			return
		}
		pio.Stdout, pio.Stderr = outW, errW
		ours, theirs = []*os.File{outR, errR}, []*os.File{outW, errW}
		if req.Stdin {
			r, w, err := os.Pipe()
			if err != nil {
				fail(err)
				return
			}
			pio.Stdin, stdinW = r, w
			theirs = append(theirs, r)
		}
	}
	pid, console, wait, err := s.exe.Exec(req.ExecID, &p, pio)
	for _, f := range theirs {
		f.Close()
	}
	if err != nil {
		for _, f := range ours {
			f.Close()
		}
		if stdinW != nil {
			stdinW.Close()
		}
		fail(err)
		return
	}
	ep := &execProc{console: console}
	s.mu.Lock()
	s.execs[req.ExecID] = ep
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.execs, req.ExecID)
		s.mu.Unlock()
	}()
	if err := reply(c, proto.Response{Pid: pid}); err != nil {
		// The client is gone; the process still runs to its end.
		c.Close()
		c = nil
	}

	// Output straight to the connection; a broken client only stops
	// delivery, the process keeps running and its pipes keep draining.
	var wmu sync.Mutex
	broken := c == nil
	send := func(stream byte, b []byte) {
		wmu.Lock()
		defer wmu.Unlock()
		if broken {
			return
		}
		c.SetWriteDeadline(time.Now().Add(writeTimeout))
		if err := proto.WriteFrame(c, stream, b); err != nil {
			broken = true
		}
	}
	var pumps sync.WaitGroup
	if req.Tty {
		ours = []*os.File{console}
		if req.Stdin {
			stdinW = console
		}
		pumps.Add(1)
		go func() { defer pumps.Done(); pump(console, func(b []byte) { send(proto.Stdout, b) }) }()
	} else {
		for i, r := range ours {
			stream := byte(proto.Stdout + i)
			r := r
			pumps.Add(1)
			go func() { defer pumps.Done(); pump(r, func(b []byte) { send(stream, b) }) }()
		}
	}
	if stdinW != nil && c != nil {
		go func() {
			_, _ = io.Copy(stdinW, in)
			if !req.Tty {
				stdinW.Close()
			}
		}()
	}

	st, _ := wait()
	code := exitCode(st)
	drained := make(chan struct{})
	go func() { pumps.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(5 * time.Second):
		// Background children hold the pipes; stop reading.
		for _, f := range ours {
			f.Close()
		}
		<-drained
	}
	for _, f := range ours {
		f.Close()
	}
	b, _ := json.Marshal(proto.ExecExit{ExitCode: code})
	send(proto.ExitFrame, b)
	if c != nil {
		c.Close()
	}
}

func (s *shim) resizeExec(id string, h, w uint16) error {
	s.mu.Lock()
	ep := s.execs[id]
	s.mu.Unlock()
	if ep == nil {
		return errors.New("no such exec: " + id)
	}
	return s.resize(ep.console, h, w)
}

// resize sets a pty's window size.
func (s *shim) resize(f *os.File, h, w uint16) error {
	if f == nil {
		return errors.New("no tty")
	}
	ws := struct{ Row, Col, X, Y uint16 }{h, w, 0, 0}
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCSWINSZ, uintptr(unsafe.Pointer(&ws)))
	}); err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	return nil
}
