package httputils

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"sync"
)

// WriteFlusher flushes the HTTP response after every write so that progress
// messages and log lines reach the client as they happen.
type WriteFlusher struct {
	mu      sync.Mutex
	w       io.Writer
	rc      *http.ResponseController
	flushed bool
}

// NewWriteFlusher wraps a response writer.
func NewWriteFlusher(w http.ResponseWriter) *WriteFlusher {
	return &WriteFlusher{w: w, rc: http.NewResponseController(w)}
}

// Write writes and flushes. Safe for concurrent use.
func (f *WriteFlusher) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.w.Write(p)
	f.flushed = true
	if err == nil {
		err = f.rc.Flush()
	}
	return n, err
}

// Flush sends headers (and anything buffered) now.
func (f *WriteFlusher) Flush() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flushed = true
	_ = f.rc.Flush()
}

// Flushed reports whether the response has started; after that, errors can
// only be reported in-band.
func (f *WriteFlusher) Flushed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.flushed
}

// streamError is the in-band error of a JSON progress stream; "error" is the
// legacy field some clients still read.
type streamError struct {
	ErrorDetail struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
	Error string `json:"error"`
}

// FormatStreamError renders err as one JSON progress message line.
func FormatStreamError(err error) []byte {
	var m streamError
	m.ErrorDetail.Message = err.Error()
	m.Error = err.Error()
	b, _ := json.Marshal(m)
	return append(b, '\n')
}

// Stream types of the multiplexed (stdcopy) framing.
const (
	Stdin  byte = 0
	Stdout byte = 1
	Stderr byte = 2
)

// stdWriter frames every Write as one stdcopy frame: 1 byte stream type,
// 3 zero bytes, uint32 big-endian payload length, payload. Header and
// payload go out in a single Write, so stdout and stderr writers may share
// one connection concurrently.
type stdWriter struct {
	w      io.Writer
	stream byte
}

// NewStdWriter returns a writer that frames its input for stream (Stdout or
// Stderr) in Docker's multiplexed format.
func NewStdWriter(w io.Writer, stream byte) io.Writer { return &stdWriter{w: w, stream: stream} }

const maxFrame = 1 << 20 // keep frames bounded; clients allocate per frame

func (s *stdWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		chunk := p
		if len(chunk) > maxFrame {
			chunk = chunk[:maxFrame]
		}
		buf := make([]byte, 8+len(chunk))
		buf[0] = s.stream
		binary.BigEndian.PutUint32(buf[4:], uint32(len(chunk)))
		copy(buf[8:], chunk)
		if _, err := s.w.Write(buf); err != nil {
			return written, err
		}
		written += len(chunk)
		p = p[len(chunk):]
	}
	return written, nil
}
