// Package jsonfile reads and writes Docker's json-file log format: one JSON
// object per line, {"log":"...","stream":"stdout","time":"RFC3339Nano"},
// rotated to path.1 .. path.N-1 when max-size is reached. The writer runs
// inside berth-shim, so this package imports only the standard library.
// (CONTRACT STUB: exported API fixed; bodies to be written.)
package jsonfile

import (
	"context"
	"time"
)

// Writer appends log records with rotation. Safe for concurrent use.
type Writer struct{}

// NewWriter opens path for appending. maxSize 0 means no rotation;
// maxFile is the number of files kept including the live one.
func NewWriter(path string, maxSize int64, maxFile int) (*Writer, error) { panic("contract stub") }

// Write logs one record. line should include its trailing newline if any;
// partial lines (no newline) are logged as-is.
func (w *Writer) Write(stream string, line []byte, t time.Time) error { panic("contract stub") }

// Close flushes and closes the file.
func (w *Writer) Close() error { panic("contract stub") }

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

// Read streams records of the log at path and its rotated files, oldest first.
func Read(ctx context.Context, path string, opts ReadOptions) <-chan *Message { panic("contract stub") }
