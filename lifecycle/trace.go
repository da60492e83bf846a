package lifecycle

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// traceStart, from BERTH_TRACE_START=1 in the daemon's environment, logs
// how long each step of a container start took (for benchmarking).
var traceStart = os.Getenv("BERTH_TRACE_START") == "1"

type trace struct {
	id    string
	last  time.Time
	steps []string
}

func newTrace(id string) *trace {
	if !traceStart {
		return nil
	}
	return &trace{id: id, last: time.Now()}
}

func (t *trace) mark(step string) {
	if t == nil {
		return
	}
	now := time.Now()
	t.steps = append(t.steps, fmt.Sprintf("%s=%.1fms", step, float64(now.Sub(t.last).Microseconds())/1000))
	t.last = now
}

func (t *trace) done() {
	if t == nil {
		return
	}
	fmt.Fprintf(os.Stderr, "start %s: %s\n", t.id[:12], strings.Join(t.steps, " "))
}
