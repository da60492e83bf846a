package builder

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
)

// stepTimer is the terminal rendering of a build: one line per step with
// the time it took; a step's own output is only shown when the build
// fails in it. Lines outside steps (the result) pass through.
type stepTimer struct {
	out     io.Writer
	partial []byte
	step    string // current "Step N/M : ..." line
	start   time.Time
	body    bytes.Buffer
	cached  bool
	now     func() time.Time
}

func newStepTimer(out io.Writer) *stepTimer {
	return &stepTimer{out: out, now: time.Now}
}

func (t *stepTimer) Write(p []byte) (int, error) {
	t.partial = append(t.partial, p...)
	for {
		i := bytes.IndexByte(t.partial, '\n')
		if i < 0 {
			break
		}
		t.line(string(t.partial[:i]))
		t.partial = t.partial[i+1:]
	}
	return len(p), nil
}

func (t *stepTimer) line(l string) {
	switch {
	case strings.HasPrefix(l, "Step "):
		t.endStep()
		t.step, t.start, t.cached = l, t.now(), false
		t.body.Reset()
	case t.step != "" && (strings.HasPrefix(l, "Successfully ") || strings.HasPrefix(l, "[Warning]")):
		t.endStep()
		fmt.Fprintln(t.out, l)
	case t.step != "":
		if l == " ---> Using cache" {
			t.cached = true
		}
		t.body.WriteString(l + "\n")
	default:
		fmt.Fprintln(t.out, l)
	}
}

func (t *stepTimer) endStep() {
	if t.step == "" {
		return
	}
	note := fmt.Sprintf("%.1fs", t.now().Sub(t.start).Seconds())
	if t.cached {
		note = "CACHED"
	}
	fmt.Fprintf(t.out, "%s  %s\n", t.step, note)
	t.step = ""
}

// finish closes the last step; after a failure the step's output is shown
// so the error has its context.
func (t *stepTimer) finish(failed bool) {
	if len(t.partial) > 0 {
		t.line(string(t.partial))
		t.partial = nil
	}
	if failed && t.step != "" {
		fmt.Fprintln(t.out, t.step)
		t.out.Write(t.body.Bytes())
		t.step = ""
		return
	}
	t.endStep()
}
