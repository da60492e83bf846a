package jsonfile

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Message is a decoded record.
type Message struct {
	Stream string
	Line   []byte
	Time   time.Time
	Attrs  map[string]string
	Err    error
}

// ReadOptions select records.
type ReadOptions struct {
	Tail   int       // last N records across rotated files; -1 all
	Since  time.Time // zero: no bound
	Until  time.Time // zero: no bound
	Follow bool      // keep reading new records (across rotation) until ctx is done or StopFollow closes
	// StopFollow, when closed, ends following after the remaining data is read
	// (the daemon closes it when the container stops).
	StopFollow <-chan struct{}
}

// pollInterval is how often a follower looks for new data; the writer
// lives in another process and the package is stdlib-only, so no inotify.
var pollInterval = 100 * time.Millisecond

// Read streams records of the log at path and its rotated files, oldest first.
func Read(ctx context.Context, path string, opts ReadOptions) <-chan *Message {
	ch := make(chan *Message, 64)
	go func() {
		defer close(ch)
		r := &reader{ctx: ctx, ch: ch, opts: opts}
		r.run(path)
	}()
	return ch
}

type reader struct {
	ctx  context.Context
	ch   chan<- *Message
	opts ReadOptions
	done bool // Until passed or ctx cancelled
}

// send decodes and filters one line; false means stop reading.
func (r *reader) send(line []byte) bool {
	var rec record
	if err := json.Unmarshal(line, &rec); err != nil {
		return r.emit(&Message{Err: fmt.Errorf("jsonfile: decode %q: %w", truncate(line), err)})
	}
	if !r.opts.Since.IsZero() && rec.Time.Before(r.opts.Since) {
		return true
	}
	if !r.opts.Until.IsZero() && rec.Time.After(r.opts.Until) {
		r.done = true
		return false
	}
	return r.emit(&Message{Stream: rec.Stream, Line: []byte(rec.Log), Time: rec.Time, Attrs: rec.Attrs})
}

func (r *reader) emit(m *Message) bool {
	select {
	case r.ch <- m:
		return true
	case <-r.ctx.Done():
		r.done = true
		return false
	}
}

func truncate(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

// files lists path's rotated files (plain or gzipped) oldest first, then
// path itself.
func files(path string) []string {
	var rotated []string
	for i := 1; ; i++ {
		p := fmt.Sprintf("%s.%d", path, i)
		if _, err := os.Stat(p); err != nil {
			if _, err := os.Stat(p + ".gz"); err != nil {
				break
			}
			p += ".gz"
		}
		rotated = append(rotated, p)
	}
	out := make([]string, 0, len(rotated)+1)
	for i := len(rotated) - 1; i >= 0; i-- {
		out = append(out, rotated[i])
	}
	return append(out, path)
}

func (r *reader) run(path string) {
	names := files(path)
	// Open every file first: a rotation while we read then cannot make us
	// skip or repeat a file, we hold the inodes.
	var fs []*os.File
	for _, n := range names {
		f, err := os.Open(n)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			r.emit(&Message{Err: err})
			return
		}
		fs = append(fs, f)
	}
	defer func() {
		for _, f := range fs {
			f.Close()
		}
	}()
	// Complete lines of all files, oldest first. For tail we only keep the
	// last N, so memory stays bounded by the kept lines.
	var live *os.File
	var pending []byte
	var lines [][]byte
	for i, f := range fs {
		var src io.Reader = f
		if strings.HasSuffix(f.Name(), ".gz") {
			zr, err := gzip.NewReader(f)
			if err != nil {
				r.emit(&Message{Err: err})
				return
			}
			src = zr
		}
		data, err := io.ReadAll(src)
		if err != nil {
			r.emit(&Message{Err: err})
			return
		}
		if i == len(fs)-1 && f.Name() == path {
			live = f
			// A half-written last record is left for the follower.
			if k := bytes.LastIndexByte(data, '\n'); k+1 < len(data) {
				pending = append(pending, data[k+1:]...)
				data = data[:k+1]
			}
		}
		for _, l := range bytes.Split(data, []byte{'\n'}) {
			if len(l) > 0 {
				lines = append(lines, l)
			}
		}
		if r.opts.Tail >= 0 && len(lines) > r.opts.Tail {
			lines = lines[len(lines)-r.opts.Tail:]
		}
	}
	if r.opts.Tail == 0 {
		lines = nil
	}
	for _, l := range lines {
		if !r.send(l) {
			return
		}
	}
	if !r.opts.Follow {
		return
	}
	r.follow(path, live, pending)
}

// follow polls the live file for appended records and switches to the new
// live file when the writer rotates.
func (r *reader) follow(path string, f *os.File, pending []byte) {
	var owned *os.File // a file opened here, closed here
	defer func() {
		if owned != nil {
			owned.Close()
		}
	}()
	buf := make([]byte, 32*1024)
	stopping := false
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		// Drain what is there.
		if f != nil {
			for {
				n, err := f.Read(buf)
				pending = append(pending, buf[:n]...)
				for {
					k := bytes.IndexByte(pending, '\n')
					if k < 0 {
						break
					}
					line := pending[:k]
					if len(line) > 0 && !r.send(line) {
						return
					}
					pending = pending[k+1:]
				}
				if err != nil || n == 0 {
					break
				}
			}
		}
		// Rotated? Then what we hold is complete; move on to the next newer
		// file: a rotated one if the writer rotated more than once since
		// the last poll, else the live file.
		if next := nextFile(path, f); next != nil {
			if owned != nil {
				owned.Close()
			}
			f, owned, pending = next, next, pending[:0]
			continue
		}
		if stopping {
			return
		}
		select {
		case <-r.ctx.Done():
			return
		case <-r.opts.StopFollow:
			// One more pass picks up what was written before the stop.
			stopping = true
		case <-t.C:
		}
	}
}

// nextFile returns the file that follows cur in the rotation order, or nil
// while cur is still the live file.
func nextFile(path string, cur *os.File) *os.File {
	st, err := os.Stat(path)
	if err != nil {
		return nil
	}
	var ci os.FileInfo
	if cur != nil {
		ci, _ = cur.Stat()
	}
	if ci != nil && os.SameFile(ci, st) {
		return nil
	}
	next := path
	if ci != nil {
		// Where did cur go? If it is path.j, the next newer one is path.j-1.
		for j := 1; ; j++ {
			rst, err := os.Stat(fmt.Sprintf("%s.%d", path, j))
			if err != nil {
				break
			}
			if os.SameFile(ci, rst) {
				if j > 1 {
					next = fmt.Sprintf("%s.%d", path, j-1)
				}
				break
			}
		}
	}
	f, err := os.Open(next)
	if err != nil {
		return nil
	}
	return f
}
