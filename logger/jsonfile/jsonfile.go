// Package jsonfile reads and writes Docker's json-file log format: one JSON
// object per line, {"log":"...","stream":"stdout","time":"RFC3339Nano"},
// rotated to path.1 .. path.N-1 when max-size is reached. The writer runs
// inside berth-shim, so this package imports only the standard library.
package jsonfile

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// record is the on-disk form, field order and names as Docker writes them.
type record struct {
	Log    string            `json:"log"`
	Stream string            `json:"stream"`
	Attrs  map[string]string `json:"attrs,omitempty"`
	Time   time.Time         `json:"time"`
}

// Writer appends log records with rotation. Safe for concurrent use.
type Writer struct {
	mu      sync.Mutex
	path    string
	maxSize int64
	maxFile int
	f       *os.File
	size    int64
	buf     []byte
	// Compress gzips rotated files (path.1.gz ...), Docker's compress=true.
	Compress bool
	gz       sync.WaitGroup
}

// NewWriter opens path for appending. maxSize 0 means no rotation;
// maxFile is the number of files kept including the live one.
func NewWriter(path string, maxSize int64, maxFile int) (*Writer, error) {
	if maxSize < 0 {
		return nil, fmt.Errorf("jsonfile: negative max-size %d", maxSize)
	}
	if maxFile < 1 {
		maxFile = 1
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Writer{path: path, maxSize: maxSize, maxFile: maxFile, f: f, size: st.Size()}, nil
}

// Write logs one record. line should include its trailing newline if any;
// partial lines (no newline) are logged as-is.
func (w *Writer) Write(stream string, line []byte, t time.Time) error {
	ts := quotedTime(t)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return errClosed
	}
	w.buf = appendRecord(w.buf[:0], line, stream, ts)
	// Rotate before the record that would overflow, so every file but the
	// live one stays within max-size (Docker's behaviour, give or take one
	// record).
	if w.maxSize > 0 && w.size > 0 && w.size+int64(len(w.buf)) > w.maxSize {
		if err := w.rotate(); err != nil {
			return err
		}
	}
	return w.flush(w.buf)
}

var errClosed = os.ErrClosed

// rotate shifts path.i to path.i+1, dropping the oldest, and starts a new
// live file. With maxFile 1 the old content is simply discarded. A new
// inode is always created so followers notice the rotation.
func (w *Writer) rotate() error {
	if err := w.f.Close(); err != nil {
		return err
	}
	w.f = nil
	if w.maxFile == 1 {
		if err := os.Remove(w.path); err != nil && !os.IsNotExist(err) {
			return err
		}
	} else {
		// The previous compression must be done before names shift.
		w.gz.Wait()
		ext := ""
		if w.Compress {
			ext = ".gz"
		}
		_ = os.Remove(fmt.Sprintf("%s.%d%s", w.path, w.maxFile-1, ext))
		for i := w.maxFile - 2; i >= 1; i-- {
			err := os.Rename(fmt.Sprintf("%s.%d%s", w.path, i, ext), fmt.Sprintf("%s.%d%s", w.path, i+1, ext))
			if err != nil && !os.IsNotExist(err) {
				return err
			}
		}
		if err := os.Rename(w.path, w.path+".1"); err != nil {
			return err
		}
		if w.Compress {
			w.gz.Add(1)
			go func() {
				defer w.gz.Done()
				compressFile(w.path + ".1")
			}()
		}
	}
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	w.f, w.size = f, 0
	return nil
}

// Close flushes and closes the file.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	w.gz.Wait()
	return err
}

// compressFile replaces p with p.gz (written aside, then renamed, so a
// reader sees either name complete).
func compressFile(p string) {
	in, err := os.Open(p)
	if err != nil {
		return
	}
	defer in.Close()
	tmp := p + ".gz.tmp"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return
	}
	zw := gzip.NewWriter(out)
	_, cerr := io.Copy(zw, in)
	if err := zw.Close(); cerr == nil {
		cerr = err
	}
	if err := out.Close(); cerr == nil {
		cerr = err
	}
	if cerr != nil || os.Rename(tmp, p+".gz") != nil {
		_ = os.Remove(tmp)
		return
	}
	_ = os.Remove(p)
}
