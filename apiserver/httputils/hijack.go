package httputils

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/berth-project/berth/internal/errdefs"
)

// lingerTimeout bounds how long a finished stream waits for the client to
// close its end before the daemon closes the connection itself. Waiting
// for the client first avoids a TCP reset that could discard output the
// client has not read yet.
var lingerTimeout = 10 * time.Second

// Hijacked is a connection taken over from net/http for attach and exec:
// reads are the client's stdin (including bytes net/http had already
// buffered), writes go straight to the client.
type Hijacked struct {
	conn   net.Conn
	in     *bufio.Reader
	watch  *hangupWatch
	finish sync.Once
}

// IsUpgrade reports whether the client asked to switch protocols, as the
// docker CLI does for attach and exec (Connection: Upgrade, Upgrade: tcp).
func IsUpgrade(r *http.Request) bool {
	if _, ok := r.Header["Upgrade"]; !ok {
		return false
	}
	for _, v := range r.Header.Values("Connection") {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "upgrade") {
				return true
			}
		}
	}
	return false
}

// Hijack takes over the connection and writes the response head: "101
// UPGRADED" with Connection/Upgrade headers when the client asked for an
// upgrade, "200 OK" otherwise, with contentType and the headers already set
// on w (Server, API-Version...). onHangup, if not nil, is called once from
// another goroutine when the client closes the connection entirely (a
// half-close, which is how clients signal stdin EOF, does not count).
func Hijack(w http.ResponseWriter, r *http.Request, contentType string, onHangup func()) (*Hijacked, error) {
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, errdefs.InvalidParameter("cannot hijack connection: %v", err)
	}
	var head bytes.Buffer
	if IsUpgrade(r) {
		fmt.Fprintf(&head, "HTTP/1.1 101 UPGRADED\r\nContent-Type: %s\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n", contentType)
	} else {
		fmt.Fprintf(&head, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n", contentType)
	}
	h := w.Header().Clone()
	for _, k := range []string{"Content-Type", "Content-Length", "Connection", "Upgrade", "Transfer-Encoding"} {
		h.Del(k)
	}
	_ = h.Write(&head)
	head.WriteString("\r\n")
	if _, err := conn.Write(head.Bytes()); err != nil {
		conn.Close()
		return nil, err
	}
	// Read stdin from the raw connection, not through net/http's reader:
	// its EOF (the client's stdin half-close) would cancel the request
	// context and cut the output short.
	var early []byte
	if n := brw.Reader.Buffered(); n > 0 {
		early, _ = brw.Reader.Peek(n)
		early = bytes.Clone(early)
	}
	hj := &Hijacked{conn: conn, in: bufio.NewReader(io.MultiReader(bytes.NewReader(early), conn))}
	if onHangup != nil {
		hj.watch = watchHangup(conn, onHangup)
	}
	return hj, nil
}

// Read reads the client's stdin.
func (h *Hijacked) Read(p []byte) (int, error) { return h.in.Read(p) }

// Write writes to the client.
func (h *Hijacked) Write(p []byte) (int, error) { return h.conn.Write(p) }

// Conn is the underlying connection.
func (h *Hijacked) Conn() net.Conn { return h.conn }

// Stdin returns the stdin side as a ReadCloser whose Close only unblocks
// pending reads; it does not end the output.
func (h *Hijacked) Stdin() *HijackedStdin { return &HijackedStdin{h: h} }

// HijackedStdin is the client's stdin on a hijacked connection.
type HijackedStdin struct{ h *Hijacked }

// Read reads stdin.
func (s *HijackedStdin) Read(p []byte) (int, error) { return s.h.in.Read(p) }

// Close unblocks readers; the connection itself stays open for output.
func (s *HijackedStdin) Close() error {
	return s.h.conn.SetReadDeadline(time.Now())
}

// Finish ends the output: the write side is shut down at once (so the
// client sees EOF and `docker run` returns), and the connection is closed
// when the client hangs up, or after a grace period.
func (h *Hijacked) Finish() {
	h.finish.Do(func() {
		cw, ok := h.conn.(interface{ CloseWrite() error })
		if !ok || h.watch == nil {
			if ok {
				_ = cw.CloseWrite()
			}
			h.conn.Close()
			if h.watch != nil {
				h.watch.stop()
			}
			return
		}
		_ = cw.CloseWrite()
		go func() {
			t := time.NewTimer(lingerTimeout)
			defer t.Stop()
			select {
			case <-h.watch.hup:
			case <-t.C:
			}
			h.watch.stop()
			h.conn.Close()
		}()
	})
}
