package proto

import (
	"bytes"
	"io"
	"testing"
)

func TestFrameRoundTrip(t *testing.T) {
	tests := []struct {
		stream byte
		data   string
	}{{Stdout, "hello\n"}, {Stderr, ""}, {ExitFrame, `{"exitCode":3}`}, {Stdout, string(bytes.Repeat([]byte("x"), 70000))}}
	var buf bytes.Buffer
	for _, tc := range tests {
		if err := WriteFrame(&buf, tc.stream, []byte(tc.data)); err != nil {
			t.Fatal(err)
		}
	}
	if got := buf.Bytes()[:8]; !bytes.Equal(got, []byte{1, 0, 0, 0, 0, 0, 0, 6}) {
		t.Fatalf("header %v", got)
	}
	var scratch []byte
	for _, tc := range tests {
		s, p, err := ReadFrame(&buf, scratch)
		if err != nil || s != tc.stream || string(p) != tc.data {
			t.Fatalf("got %d %q %v, want %d %q", s, p, err, tc.stream, tc.data)
		}
	}
	if _, _, err := ReadFrame(&buf, nil); err != io.EOF {
		t.Fatalf("at end: %v", err)
	}
	if _, _, err := ReadFrame(bytes.NewReader([]byte{1, 0, 0, 0, 0, 0, 0, 9, 'a'}), nil); err != io.ErrUnexpectedEOF {
		t.Fatalf("truncated: %v", err)
	}
}
