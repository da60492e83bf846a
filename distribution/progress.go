package distribution

import (
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/moby/moby/api/types/jsonstream"
)

// progress writes Docker's JSON message stream; layers report from
// several goroutines, so writes are serialised.
type progress struct {
	mu  sync.Mutex
	out io.Writer
}

func (p *progress) write(m jsonstream.Message) {
	if p == nil || p.out == nil {
		return
	}
	b, err := json.Marshal(m)
	if err != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.out.Write(append(b, '\r', '\n'))
}

// status is a line without an ID ("Digest: ...", "Status: ...").
func (p *progress) status(s string) { p.write(jsonstream.Message{Status: s}) }

// layer is a per-layer line ("Waiting", "Pull complete", ...).
func (p *progress) layer(id, s string) { p.write(jsonstream.Message{Status: s, ID: id}) }

// bar is a per-layer progress update ("Downloading" with progressDetail).
func (p *progress) bar(id, action string, cur, total int64) {
	p.write(jsonstream.Message{Status: action, ID: id, Progress: &jsonstream.Progress{Current: cur, Total: total}})
}

// counter reports bytes read through it as a progress bar, at most every
// 100 ms (Docker's rate), and finally when the stream ends.
type counter struct {
	r      io.Reader
	p      *progress
	id     string
	action string
	total  int64
	n      int64
	last   time.Time
}

func (c *counter) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	if now := time.Now(); now.Sub(c.last) >= 100*time.Millisecond || (err != nil && c.n > 0) {
		c.last = now
		c.p.bar(c.id, c.action, c.n, c.total)
	}
	return n, err
}

// shortID is the 12-hex form Docker shows for layers.
func shortID(hex string) string {
	if len(hex) > 12 {
		return hex[:12]
	}
	return hex
}

// writeAux sends an aux message (push's {"Tag","Digest","Size"}).
func (p *progress) writeAux(aux *json.RawMessage) {
	p.write(jsonstream.Message{Progress: &jsonstream.Progress{}, Aux: aux})
}
