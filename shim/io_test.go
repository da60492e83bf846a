package shim

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
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
