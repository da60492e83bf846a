package logger

import (
	"sync"
)

// Ring is mode=non-blocking: Log queues the message and returns at once;
// a goroutine feeds the driver. When more than max bytes wait, the new
// message is dropped (Docker drops too), so a slow or dead remote never
// holds up the container's log.
type Ring struct {
	d       Driver
	max     int
	mu      sync.Mutex
	cond    *sync.Cond
	q       []*Message
	size    int
	closed  bool
	done    chan struct{}
	dropped int
}

// NewRing starts feeding d from a buffer of max bytes.
func NewRing(d Driver, max int) *Ring {
	if max <= 0 {
		max = DefaultMaxBufferSize
	}
	r := &Ring{d: d, max: max, done: make(chan struct{})}
	r.cond = sync.NewCond(&r.mu)
	go r.run()
	return r
}

// Log queues m, or drops it when the buffer is full.
func (r *Ring) Log(m *Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	if r.size+len(m.Line) > r.max && len(r.q) > 0 {
		r.dropped++
		return nil
	}
	r.q = append(r.q, m)
	r.size += len(m.Line)
	r.cond.Signal()
	return nil
}

// Dropped counts messages lost to a full buffer.
func (r *Ring) Dropped() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dropped
}

func (r *Ring) run() {
	defer close(r.done)
	for {
		r.mu.Lock()
		for len(r.q) == 0 && !r.closed {
			r.cond.Wait()
		}
		if len(r.q) == 0 && r.closed {
			r.mu.Unlock()
			return
		}
		m := r.q[0]
		r.q[0] = nil
		r.q = r.q[1:]
		r.size -= len(m.Line)
		r.mu.Unlock()
		_ = r.d.Log(m) // errors are the remote's; non-blocking mode drops
	}
}

// Close delivers what is queued, then closes the driver.
func (r *Ring) Close() error {
	r.mu.Lock()
	r.closed = true
	r.cond.Signal()
	r.mu.Unlock()
	<-r.done
	return r.d.Close()
}
