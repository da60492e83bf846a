package builder

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// message is one line of Docker's JSON build stream.
type message struct {
	Stream string `json:"stream,omitempty"`
	Aux    any    `json:"aux,omitempty"`
}

// stream writes the build's JSON messages. It is safe for concurrent use:
// stages running in parallel share it through their stageOutput.
type stream struct {
	mu  sync.Mutex
	out io.Writer
	// quiet buffers the step output instead of sending it (q=1): it is
	// only shown when the build fails, like Docker.
	quiet bool
	buf   bytes.Buffer
}

func (s *stream) writeRaw(p []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.out.Write(p)
	return err
}

// text sends (or, when quiet, buffers) step output.
func (s *stream) text(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	if s.quiet {
		s.mu.Lock()
		s.buf.Write(p)
		s.mu.Unlock()
		return nil
	}
	b, _ := json.Marshal(message{Stream: string(p)})
	return s.writeRaw(append(b, '\n'))
}

// always sends a stream message even in quiet mode (the final image ID).
func (s *stream) always(text string) error {
	b, _ := json.Marshal(message{Stream: text})
	return s.writeRaw(append(b, '\n'))
}

func (s *stream) aux(v any) error {
	b, _ := json.Marshal(message{Aux: v})
	return s.writeRaw(append(b, '\n'))
}

// buffered returns what quiet mode held back.
func (s *stream) buffered() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// stageOutput is the output of one stage. Stages run concurrently but
// their output is replayed in Dockerfile order: only the stage at the
// head of the order writes through; the others buffer until their turn.
type stageOutput struct {
	seq  *sequencer
	idx  int
	mu   sync.Mutex
	buf  bytes.Buffer
	live bool
}

func (o *stageOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.live {
		return len(p), o.seq.s.text(p)
	}
	o.buf.Write(p)
	return len(p), nil
}

func (o *stageOutput) printf(format string, args ...any) {
	fmt.Fprintf(o, format, args...)
}

// goLive flushes what was buffered and writes through from now on.
func (o *stageOutput) goLive() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.buf.Len() > 0 {
		_ = o.seq.s.text(o.buf.Bytes())
		o.buf.Reset()
	}
	o.live = true
}

// sequencer orders the stage outputs.
type sequencer struct {
	s       *stream
	mu      sync.Mutex
	outs    []*stageOutput
	done    []bool
	current int
}

func newSequencer(s *stream, n int) *sequencer {
	q := &sequencer{s: s, done: make([]bool, n)}
	for i := 0; i < n; i++ {
		q.outs = append(q.outs, &stageOutput{seq: q, idx: i})
	}
	if n > 0 {
		q.outs[0].live = true
	}
	return q
}

// finish marks stage i done and hands the stream to the next unfinished
// stage in order, flushing each finished one on the way.
func (q *sequencer) finish(i int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.done[i] = true
	for q.current < len(q.outs) && q.done[q.current] {
		q.current++
		if q.current < len(q.outs) {
			q.outs[q.current].goLive()
		}
	}
}

// flushFailed shows a failed stage's buffered output at once, so the
// error is preceded by the output that explains it.
func (q *sequencer) flushFailed(i int) {
	q.outs[i].goLive()
}
