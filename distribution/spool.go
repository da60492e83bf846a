package distribution

import (
	"io"
	"os"
	"sync"
)

// spool is a download in progress: the downloader appends to a temp file,
// and one reader follows it, blocking at the end of what has arrived until
// more comes or the download ends. It lets a layer unpack while it is
// still downloading without holding more than one copy on disk.
type spool struct {
	f *os.File

	mu      sync.Mutex
	cond    *sync.Cond
	written int64
	done    bool
	err     error // the download's error, reported once all data is read
}

func newSpool(dir string) (*spool, error) {
	f, err := os.CreateTemp(dir, "pull-")
	if err != nil {
		return nil, err
	}
	// Unlinked at once: nothing is left behind whatever happens next.
	os.Remove(f.Name())
	s := &spool{f: f}
	s.cond = sync.NewCond(&s.mu)
	return s, nil
}

// Write appends downloaded data.
func (s *spool) Write(p []byte) (int, error) {
	s.mu.Lock()
	off := s.written
	s.mu.Unlock()
	n, err := s.f.WriteAt(p, off)
	s.mu.Lock()
	s.written += int64(n)
	s.cond.Broadcast()
	s.mu.Unlock()
	return n, err
}

// finish ends the download; err (nil for success) is what the reader gets
// after the last byte instead of io.EOF.
func (s *spool) finish(err error) {
	s.mu.Lock()
	if !s.done {
		s.done, s.err = true, err
	}
	s.cond.Broadcast()
	s.mu.Unlock()
}

// close releases the file; call it once both sides are finished.
func (s *spool) close() { s.f.Close() }

// reader returns the one reader that follows the download.
func (s *spool) reader() io.Reader { return &spoolReader{s: s} }

type spoolReader struct {
	s   *spool
	off int64
}

func (r *spoolReader) Read(p []byte) (int, error) {
	s := r.s
	s.mu.Lock()
	for r.off >= s.written && !s.done {
		s.cond.Wait()
	}
	avail, done, derr := s.written-r.off, s.done, s.err
	s.mu.Unlock()
	if avail <= 0 && done {
		if derr != nil {
			return 0, derr
		}
		return 0, io.EOF
	}
	if int64(len(p)) > avail {
		p = p[:avail]
	}
	n, err := s.f.ReadAt(p, r.off)
	r.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}
