package jsonfile

import (
	"bytes"
	"time"
	"unicode/utf8"
)

// A hand-rolled encoder for the one record shape we write: encoding/json
// through reflection, plus a write per line, made the shim the bottleneck
// of a container that logs fast. The output is byte for byte what
// json.Marshal(record) gives (FuzzAppendRecord checks it).

const hexDigits = "0123456789abcdef"

// htmlSafe: the ASCII bytes encoding/json copies as they are.
var htmlSafe = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = true
	}
	for _, b := range []byte{'"', '\\', '<', '>', '&'} {
		t[b] = false
	}
	return
}()

// appendString is encoding/json's string encoding with HTML escaping.
func appendString(dst, src []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(src); {
		if b := src[i]; b < utf8.RuneSelf {
			if htmlSafe[b] {
				i++
				continue
			}
			dst = append(dst, src[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRune(src[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, src[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, src[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, src[start:]...)
	return append(dst, '"')
}

// appendRecord appends one record line (with its newline); ts is the
// quoted RFC 3339 time, computed once per batch.
func appendRecord(dst, line []byte, stream string, ts []byte) []byte {
	dst = append(dst, `{"log":`...)
	dst = appendString(dst, line)
	dst = append(dst, `,"stream":`...)
	dst = appendString(dst, []byte(stream))
	dst = append(dst, `,"time":`...)
	dst = append(dst, ts...)
	return append(dst, '}', '\n')
}

func quotedTime(t time.Time) []byte {
	b := make([]byte, 0, 40)
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// WriteLines logs every newline-terminated line of data as its own
// record stamped t, in as few writes as rotation allows. A trailing piece
// without newline becomes a record too (callers pass complete lines).
func (w *Writer) WriteLines(stream string, data []byte, t time.Time) error {
	ts := quotedTime(t)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return errClosed
	}
	w.buf = w.buf[:0]
	for len(data) > 0 {
		k := bytes.IndexByte(data, '\n')
		line := data
		if k >= 0 {
			line, data = data[:k+1], data[k+1:]
		} else {
			data = nil
		}
		n := len(w.buf)
		w.buf = appendRecord(w.buf, line, stream, ts)
		// Rotate before the record that would overflow, as Write does:
		// flush what fits first.
		if w.maxSize > 0 && w.size+int64(len(w.buf)) > w.maxSize && w.size+int64(n) > 0 {
			rec := append([]byte(nil), w.buf[n:]...)
			if err := w.flush(w.buf[:n]); err != nil {
				return err
			}
			if err := w.rotate(); err != nil {
				return err
			}
			w.buf = append(w.buf[:0], rec...)
		}
		if len(w.buf) >= 256<<10 {
			if err := w.flush(w.buf); err != nil {
				return err
			}
			w.buf = w.buf[:0]
		}
	}
	err := w.flush(w.buf)
	if cap(w.buf) > 1<<20 {
		w.buf = nil // let a flood's buffer go
	}
	return err
}

func (w *Writer) flush(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	n, err := w.f.Write(b)
	w.size += int64(n)
	return err
}
