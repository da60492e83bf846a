package lifecycle

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestParseDetachKeys(t *testing.T) {
	tests := []struct {
		in   string
		want []byte
		bad  bool
	}{
		{in: "", want: []byte{16, 17}}, // ctrl-p,ctrl-q
		{in: "ctrl-p,ctrl-q", want: []byte{16, 17}},
		{in: "ctrl-x,x", want: []byte{24, 'x'}},
		{in: "a,b,c", want: []byte("abc")},
		{in: "ctrl-@", want: []byte{0}},
		{in: "ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_", want: []byte{27, 28, 29, 30, 31}},
		{in: "ctrl-a,ctrl-z", want: []byte{1, 26}},
		{in: "ctrl-", bad: true},
		{in: "ctrl-1", bad: true},
		{in: "ctrl-P", bad: true},
		{in: "ab", bad: true},
		{in: "ctrl-x,,x", bad: true},
	}
	for _, tt := range tests {
		got, err := parseDetachKeys(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("parseDetachKeys(%q) = %v, want an error", tt.in, got)
			} else if !strings.Contains(err.Error(), "Invalid escape keys") {
				t.Errorf("parseDetachKeys(%q): %v", tt.in, err)
			}
			continue
		}
		if err != nil || !bytes.Equal(got, tt.want) {
			t.Errorf("parseDetachKeys(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestDetachReader(t *testing.T) {
	tests := []struct {
		name, keys, input, passed string
		detached                  bool
	}{
		{"default sequence", "", "ls\n\x10\x11rest", "ls\n", true},
		{"custom sequence", "ctrl-x,x", "echo\x18x", "echo", true},
		{"partial sequence passes", "ctrl-x,x", "a\x18b", "a\x18b", false},
		{"no sequence", "", "plain input", "plain input", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called := false
			r := newDetachReader(strings.NewReader(tt.input), tt.keys, func() { called = true })
			var out bytes.Buffer
			buf := make([]byte, 1) // byte by byte: what passes before the sequence is visible
			var err error
			for {
				var n int
				n, err = r.Read(buf)
				out.Write(buf[:n])
				if err != nil {
					break
				}
			}
			if tt.detached != errors.Is(err, errDetached) || called != tt.detached {
				t.Errorf("err %v, onDetach called %v; want detached %v", err, called, tt.detached)
			}
			if !tt.detached && err != io.EOF {
				t.Errorf("err %v, want EOF", err)
			}
			// The sequence's own bytes are passed on as typed until it is
			// complete (Docker behaves the same); compare what precedes it.
			got := out.String()
			if tt.detached {
				got = got[:len(tt.passed)]
			}
			if got != tt.passed {
				t.Errorf("passed %q, want %q", out.String(), tt.passed)
			}
		})
	}
}
