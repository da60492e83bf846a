package shim

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/berth-project/berth/logger/jsonfile"
	"github.com/berth-project/berth/shim/proto"
)

// Limits that keep a slow attach client from costing the shim memory or
// blocking the container: a client more than maxQueued frames behind is
// dropped, and one write may take at most writeTimeout.
const (
	maxQueued    = 256
	writeTimeout = 10 * time.Second
	// maxLine is where Docker cuts a line without newline into a partial
	// log record.
	maxLine = 16 * 1024
)

// hub fans container output out to attached connections.
type hub struct {
	mu      sync.Mutex
	clients map[*attachClient]struct{}
	closed  bool
	wg      sync.WaitGroup
}

type attachClient struct {
	conn           net.Conn
	ch             chan []byte
	stdout, stderr bool
}

func newHub() *hub { return &hub{clients: map[*attachClient]struct{}{}} }

// add registers a client; false when output has already ended.
func (h *hub) add(c net.Conn, stdout, stderr bool) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	ac := &attachClient{conn: c, ch: make(chan []byte, maxQueued), stdout: stdout, stderr: stderr}
	h.clients[ac] = struct{}{}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		defer c.Close()
		broken := false
		for f := range ac.ch {
			if broken {
				continue
			}
			c.SetWriteDeadline(time.Now().Add(writeTimeout))
			if _, err := c.Write(f); err != nil {
				broken = true
				h.drop(ac)
			}
		}
		if uc, ok := c.(*net.UnixConn); ok && !broken {
			uc.CloseWrite()
		}
	}()
	return true
}

// drop forgets a client; its writer goroutine then ends.
func (h *hub) drop(ac *attachClient) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.clients[ac]; ok {
		delete(h.clients, ac)
		close(ac.ch)
	}
}

func (h *hub) broadcast(stream byte, p []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var frame []byte
	for ac := range h.clients {
		if (stream == proto.Stdout && !ac.stdout) || (stream == proto.Stderr && !ac.stderr) {
			continue
		}
		if frame == nil {
			frame = proto.Frame(stream, p)
		}
		select {
		case ac.ch <- frame:
		default:
			// Too slow: never let one client stall the container.
			delete(h.clients, ac)
			close(ac.ch)
			ac.conn.Close()
		}
	}
}

// close ends every client after its queued output is written, waiting at
// most d for slow ones.
func (h *hub) close(d time.Duration) {
	h.mu.Lock()
	h.closed = true
	for ac := range h.clients {
		delete(h.clients, ac)
		close(ac.ch)
	}
	h.mu.Unlock()
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}

// lineLog splits a stream into log records at newlines, as Docker does.
type lineLog struct {
	w      *jsonfile.Writer
	stream string
	buf    []byte
}

func (l *lineLog) write(p []byte, t time.Time) {
	if l.w == nil {
		return
	}
	// Every complete line of this read goes out in one batch: one write
	// per read, not per line.
	if len(l.buf) == 0 {
		if k := bytes.LastIndexByte(p, '\n'); k >= 0 {
			_ = l.w.WriteLines(l.stream, p[:k+1], t)
			p = p[k+1:]
		}
		l.buf = append(l.buf, p...)
	} else {
		l.buf = append(l.buf, p...)
		if k := bytes.LastIndexByte(l.buf, '\n'); k >= 0 {
			_ = l.w.WriteLines(l.stream, l.buf[:k+1], t)
			l.buf = l.buf[k+1:]
		}
	}
	for len(l.buf) >= maxLine {
		_ = l.w.Write(l.stream, l.buf[:maxLine], t)
		l.buf = l.buf[maxLine:]
	}
	if len(l.buf) == 0 {
		l.buf = nil // let a big buffer go
	}
}

func (l *lineLog) flush(t time.Time) {
	if l.w != nil && len(l.buf) > 0 {
		_ = l.w.Write(l.stream, l.buf, t)
	}
	l.buf = nil
}

// pump copies r until EOF into sink. A pty master reports EIO once the
// last slave is closed; that is its EOF. A pollable file borrows its read
// buffer only while data is there, so an idle container holds none.
func pump(r io.Reader, sink func([]byte)) {
	if f, ok := r.(*os.File); ok {
		if rc, err := f.SyscallConn(); err == nil {
			pumpPolled(rc, sink)
			return
		}
	}
	buf := make([]byte, pumpBuf)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			sink(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

const pumpBuf = 32 * 1024

var pumpPool = sync.Pool{New: func() any { b := make([]byte, pumpBuf); return &b }}

// pumpPolled reads through the poller (a blocking fd simply blocks in the
// read) until EOF, an error or Close.
func pumpPolled(rc syscall.RawConn, sink func([]byte)) {
	for {
		var buf *[]byte
		var n int
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			buf = pumpPool.Get().(*[]byte)
			for {
				n, rerr = syscall.Read(int(fd), *buf)
				if rerr != syscall.EINTR {
					break
				}
			}
			if rerr == syscall.EAGAIN {
				pumpPool.Put(buf)
				buf = nil
				return false
			}
			return true
		})
		if buf == nil {
			return // closed while waiting
		}
		if n > 0 {
			sink((*buf)[:n])
		}
		pumpPool.Put(buf)
		if err != nil || rerr != nil || n <= 0 {
			return
		}
	}
}

// isEOF reports the errors that end a stream normally.
func isEOF(err error) bool {
	return err == io.EOF || errors.Is(err, syscall.EIO) || errors.Is(err, os.ErrClosed)
}
