package shim

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-project/berth/logger/jsonfile"
)

func TestLineLog(t *testing.T) {
	tests := []struct {
		name   string
		chunks []string
		want   []string
	}{
		{"whole", []string{"a\nb\n"}, []string{"a\n", "b\n"}},
		{"split", []string{"hel", "lo\nwor", "ld\n"}, []string{"hello\n", "world\n"}},
		{"partialAtEnd", []string{"x\ny"}, []string{"x\n", "y"}},
		{"long", []string{strings.Repeat("z", maxLine+5)}, []string{strings.Repeat("z", maxLine+5)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "l.log")
			w, err := jsonfile.NewWriter(p, 0, 1)
			if err != nil {
				t.Fatal(err)
			}
			l := &lineLog{w: w, stream: "stdout"}
			for _, c := range tc.chunks {
				l.write([]byte(c), time.Now())
			}
			l.flush(time.Now())
			w.Close()
			var got []string
			for m := range jsonfile.Read(context.Background(), p, jsonfile.ReadOptions{Tail: -1}) {
				got = append(got, string(m.Line))
			}
			if strings.Join(got, "") != strings.Join(tc.want, "") || (tc.name != "long" && fmt.Sprint(got) != fmt.Sprint(tc.want)) {
				t.Fatalf("got %q want %q", got, tc.want)
			}
		})
	}
}

func TestExitCodeOf(t *testing.T) {
	if exitCode(nil) != 255 {
		t.Fatal("nil state")
	}
}

// TestPump checks that pump delivers every byte from a pipe (pollable) and
// from a blocking fd, in order, and returns at EOF or when the read end is
// closed under it.
func TestPump(t *testing.T) {
	payload := strings.Repeat("0123456789abcdef", 10000) // > several pump buffers
	for _, tc := range []struct {
		name     string
		blocking bool
		closeEnd bool
	}{{"pollable", false, false}, {"blocking", true, false}, {"closedWhileIdle", false, true}} {
		t.Run(tc.name, func(t *testing.T) {
			r, w, err := os.Pipe()
			if tc.blocking {
				// A file from a blocking fd is not in the poller.
				var fds [2]int
				err = syscall.Pipe2(fds[:], syscall.O_CLOEXEC)
				r, w = os.NewFile(uintptr(fds[0]), "r"), os.NewFile(uintptr(fds[1]), "w")
			}
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			var got bytes.Buffer
			done := make(chan struct{})
			go func() { pump(r, func(p []byte) { got.Write(p) }); close(done) }()
			if tc.closeEnd {
				time.Sleep(20 * time.Millisecond)
				r.Close()
			} else {
				if _, err := w.Write([]byte(payload)); err != nil {
					t.Fatal(err)
				}
				w.Close()
			}
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("pump did not return")
			}
			if !tc.closeEnd && got.String() != payload {
				t.Fatalf("got %d bytes, want %d", got.Len(), len(payload))
			}
		})
	}
}
