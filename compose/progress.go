package compose

import (
	"fmt"
	"io"
	"sync"
)

// Progress receives what Compose shows while it works: one line per
// object and state ("Container p-web-1  Started").
type Progress interface {
	Event(id, status string)
	// Text is an event whose words are its text rather than its status
	// (Compose's pull lines: " web Pulling ").
	Text(id, text string)
}

// PlainProgress writes events the way Compose's plain (non-terminal)
// writer does: a leading blank, the object, an empty text, the status.
type PlainProgress struct {
	mu sync.Mutex
	W  io.Writer
}

// Event prints one line; safe for concurrent use.
func (p *PlainProgress) Event(id, status string) {
	if p == nil || p.W == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.W, "", id, "", status)
}

// Text prints an event with a text and no status, as Compose's plain
// writer lays it out.
func (p *PlainProgress) Text(id, text string) {
	if p == nil || p.W == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.W, "", id, text, "")
}

type noProgress struct{}

func (noProgress) Event(string, string) {}
func (noProgress) Text(string, string)  {}

func containerID(name string) string { return "Container " + name }
func networkID(name string) string   { return "Network " + name }
func volumeID(name string) string    { return fmt.Sprintf("Volume %q", name) }
