package compose

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// LogOptions are compose logs' flags.
type LogOptions struct {
	Follow     bool
	Tail       string
	Since      string
	Until      string
	Timestamps bool
	NoPrefix   bool
	Color      bool // a colour per service, as Compose does on a terminal
	Index      int  // only this replica (0: all)
}

// colours are Compose's rotation: five hues, then their bright variants.
var colours = func() []string {
	var out []string
	for _, bold := range []bool{false, true} {
		for _, c := range []string{"36", "33", "32", "35", "34"} {
			if bold {
				c += ";1"
			}
			out = append(out, c)
		}
	}
	return out
}()

// LogPrinter writes lines from several containers, each prefixed with its
// short name ("web-1 | "), padded to the longest.
type LogPrinter struct {
	mu       sync.Mutex
	W        io.Writer
	width    int
	colour   map[string]string
	next     int
	noPrefix bool
	useColor bool
}

// NewLogPrinter prepares a printer for the given short names.
func NewLogPrinter(w io.Writer, shortNames []string, color, noPrefix bool) *LogPrinter {
	lp := &LogPrinter{W: w, colour: map[string]string{}, noPrefix: noPrefix, useColor: color}
	for _, n := range shortNames {
		lp.add(n)
	}
	return lp
}

func (lp *LogPrinter) add(name string) {
	if len(name) > lp.width {
		lp.width = len(name)
	}
	if _, ok := lp.colour[name]; !ok {
		lp.colour[name] = colours[lp.next%len(colours)]
		lp.next++
	}
}

func (lp *LogPrinter) paint(name, s string) string {
	if !lp.useColor {
		return s
	}
	return "\033[" + lp.colour[name] + "m" + s + "\033[0m"
}

// Line prints one line of container name.
func (lp *LogPrinter) Line(name, line string) {
	lp.mu.Lock()
	defer lp.mu.Unlock()
	if lp.noPrefix {
		fmt.Fprintln(lp.W, line)
		return
	}
	// Compose pads to the longest name plus one.
	prefix := fmt.Sprintf("%-*s |", lp.width+1, name)
	fmt.Fprintln(lp.W, lp.paint(name, prefix)+" "+line)
}

// Status prints an event about a container ("web-1 exited with code 0").
func (lp *LogPrinter) Status(name, msg string) {
	lp.mu.Lock()
	defer lp.mu.Unlock()
	fmt.Fprintln(lp.W, lp.paint(name, name+" "+msg))
}

// lineWriter splits a stream into lines for the printer.
type lineWriter struct {
	lp   *LogPrinter
	name string
	buf  bytes.Buffer
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	for {
		i := bytes.IndexByte(w.buf.Bytes(), '\n')
		if i < 0 {
			break
		}
		line := string(w.buf.Next(i + 1))
		w.lp.Line(w.name, strings.TrimRight(line, "\r\n"))
	}
	return len(p), nil
}

func (w *lineWriter) flush() {
	if w.buf.Len() > 0 {
		w.lp.Line(w.name, w.buf.String())
		w.buf.Reset()
	}
}

// ShortName is the name shown in log prefixes: the container name
// without the project prefix.
func ShortName(project string, c container.Summary) string {
	n := Name(c)
	if c.Labels[OneoffLabel] == "True" {
		return n
	}
	return strings.TrimPrefix(n, project+Separator)
}

// Logs prints the logs of the project's containers for services (none:
// all).
func (s *Service) Logs(ctx context.Context, project string, services []string, o LogOptions, out io.Writer) error {
	cs, err := s.Containers(ctx, project, OneoffExclude, true, services...)
	if err != nil {
		return err
	}
	if o.Index > 0 {
		var sel []container.Summary
		for _, c := range cs {
			if number(c) == o.Index {
				sel = append(sel, c)
			}
		}
		cs = sel
	}
	var short []string
	for _, c := range cs {
		short = append(short, ShortName(project, c))
	}
	lp := NewLogPrinter(out, short, o.Color, o.NoPrefix)
	return parallel(cs, func(c container.Summary) error {
		return s.streamLogs(ctx, lp, ShortName(project, c), c.ID, o)
	})
}

func (s *Service) streamLogs(ctx context.Context, lp *LogPrinter, name, id string, o LogOptions) error {
	info, err := s.API.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return err
	}
	tail := o.Tail
	if tail == "" {
		tail = "all"
	}
	rc, err := s.API.ContainerLogs(ctx, id, client.ContainerLogsOptions{
		ShowStdout: true, ShowStderr: true, Follow: o.Follow, Tail: tail,
		Since: o.Since, Until: o.Until, Timestamps: o.Timestamps,
	})
	if err != nil {
		return err
	}
	defer rc.Close()
	w := &lineWriter{lp: lp, name: name}
	defer w.flush()
	if info.Container.Config != nil && info.Container.Config.Tty {
		_, err = io.Copy(w, rc)
	} else {
		_, err = stdcopy.StdCopy(w, w, rc)
	}
	if ctx.Err() != nil {
		return nil
	}
	return err
}
