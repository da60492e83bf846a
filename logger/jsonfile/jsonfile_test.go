package jsonfile

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func writeN(t *testing.T, w *Writer, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		stream := "stdout"
		if i%2 == 1 {
			stream = "stderr"
		}
		if err := w.Write(stream, []byte(fmt.Sprintf("line %d\n", i)), t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
}

func collect(t *testing.T, ch <-chan *Message) []string {
	t.Helper()
	var out []string
	for m := range ch {
		if m.Err != nil {
			t.Fatal(m.Err)
		}
		out = append(out, m.Stream+":"+strings.TrimSuffix(string(m.Line), "\n"))
	}
	return out
}

func TestFormat(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c-json.log")
	w, err := NewWriter(p, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write("stdout", []byte("a<b\n"), time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.FixedZone("x", 3600))); err != nil {
		t.Fatal(err)
	}
	w.Close()
	b, _ := os.ReadFile(p)
	want := `{"log":"a\u003cb\n","stream":"stdout","time":"2024-05-01T11:00:00.123456789Z"}` + "\n"
	if string(b) != want {
		t.Fatalf("got %s want %s", b, want)
	}
}

func TestReadFilters(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c-json.log")
	w, err := NewWriter(p, 200, 3) // small: forces rotation across files
	if err != nil {
		t.Fatal(err)
	}
	writeN(t, w, 6)
	w.Close()
	all := []string{"stdout:line 0", "stderr:line 1", "stdout:line 2", "stderr:line 3", "stdout:line 4", "stderr:line 5"}
	tests := []struct {
		name string
		opts ReadOptions
		want []string
	}{
		{"all", ReadOptions{Tail: -1}, all},
		{"tail2", ReadOptions{Tail: 2}, all[4:]},
		{"tail0", ReadOptions{Tail: 0}, nil},
		{"tailMore", ReadOptions{Tail: 100}, all},
		{"since", ReadOptions{Tail: -1, Since: t0.Add(4 * time.Second)}, all[4:]},
		{"until", ReadOptions{Tail: -1, Until: t0.Add(1 * time.Second)}, all[:2]},
		{"sinceUntil", ReadOptions{Tail: -1, Since: t0.Add(2 * time.Second), Until: t0.Add(3 * time.Second)}, all[2:4]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := collect(t, Read(context.Background(), p, tc.opts))
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got %v want %v", got, tc.want)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c-json.log")
	w, err := NewWriter(p, 300, 3)
	if err != nil {
		t.Fatal(err)
	}
	writeN(t, w, 40)
	w.Close()
	ents, _ := os.ReadDir(dir)
	if len(ents) != 3 {
		t.Fatalf("want 3 files, got %d", len(ents))
	}
	for _, n := range []string{p, p + ".1", p + ".2"} {
		st, err := os.Stat(n)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() > 300 {
			t.Fatalf("%s is %d bytes, over max-size", n, st.Size())
		}
	}
	got := collect(t, Read(context.Background(), p, ReadOptions{Tail: -1}))
	if len(got) == 0 || got[len(got)-1] != "stderr:line 39" {
		t.Fatalf("last record %v", got)
	}
	// Records are contiguous and oldest first across files.
	var first int
	fmt.Sscanf(got[0][strings.Index(got[0], " ")+1:], "%d", &first)
	for i, g := range got {
		if !strings.HasSuffix(g, fmt.Sprintf("line %d", first+i)) {
			t.Fatalf("record %d = %q, want line %d", i, g, first+i)
		}
	}

	// maxFile 1 keeps a single file.
	p1 := filepath.Join(t.TempDir(), "one.log")
	w1, _ := NewWriter(p1, 100, 1)
	writeN(t, w1, 10)
	w1.Close()
	if _, err := os.Stat(p1 + ".1"); !os.IsNotExist(err) {
		t.Fatalf("max-file 1 left a rotated file: %v", err)
	}
}

func TestFollowAcrossRotation(t *testing.T) {
	old := pollInterval
	pollInterval = 10 * time.Millisecond
	defer func() { pollInterval = old }()
	p := filepath.Join(t.TempDir(), "c-json.log")
	w, err := NewWriter(p, 250, 4)
	if err != nil {
		t.Fatal(err)
	}
	writeN(t, w, 2)
	stop := make(chan struct{})
	ch := Read(context.Background(), p, ReadOptions{Tail: -1, Follow: true, StopFollow: stop})
	go func() {
		for i := 2; i < 30; i++ {
			w.Write("stdout", []byte(fmt.Sprintf("line %d\n", i)), t0)
			time.Sleep(2 * time.Millisecond)
		}
		w.Close()
		close(stop)
	}()
	got := collect(t, ch)
	if len(got) != 30 {
		t.Fatalf("followed %d records, want 30: %v", len(got), got)
	}
	for i, g := range got {
		if !strings.HasSuffix(g, fmt.Sprintf("line %d", i)) {
			t.Fatalf("record %d = %q", i, g)
		}
	}
}

func TestFollowCancel(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c-json.log")
	ctx, cancel := context.WithCancel(context.Background())
	ch := Read(ctx, p, ReadOptions{Tail: -1, Follow: true})
	cancel()
	select {
	case <-ch:
	case <-time.After(2 * time.Second):
		t.Fatal("follow did not end on cancel")
	}
}

func TestCompressRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c-json.log")
	w, err := NewWriter(path, 200, 3)
	if err != nil {
		t.Fatal(err)
	}
	w.Compress = true
	for i := 0; i < 20; i++ {
		if err := w.Write("stdout", []byte(fmt.Sprintf("line %02d\n", i)), time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path + ".1.gz", path + ".2.gz"} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("rotated file not compressed: %v", err)
		}
	}
	if _, err := os.Stat(path + ".1"); !os.IsNotExist(err) {
		t.Fatalf("plain rotated file left: %v", err)
	}
	var got []string
	for m := range Read(context.Background(), path, ReadOptions{Tail: -1}) {
		if m.Err != nil {
			t.Fatal(m.Err)
		}
		got = append(got, string(m.Line))
	}
	// Three files of at most 200 bytes: the newest lines, in order.
	if len(got) < 6 || got[len(got)-1] != "line 19\n" {
		t.Fatalf("read across gzipped files: %q", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("out of order: %q", got)
		}
	}
}

func FuzzAppendRecord(f *testing.F) {
	for _, s := range []string{"hello\n", "", "<a href=\"x\">&amp;</a>\t\r\n", "\x00\x01\x1f\x7f", "caf\xc3\xa9 \xff\xfe", "\u2028\u2029", "\\\"", "\b\f"} {
		f.Add([]byte(s), "stdout")
	}
	ts := time.Date(2026, 12, 7, 6, 0, 0, 120, time.UTC)
	f.Fuzz(func(t *testing.T, line []byte, stream string) {
		want, err := json.Marshal(record{Log: string(line), Stream: stream, Time: ts})
		if err != nil {
			t.Skip()
		}
		got := appendRecord(nil, line, stream, quotedTime(ts))
		if string(got) != string(want)+"\n" {
			t.Fatalf("%q:\n got %s\nwant %s", line, got, want)
		}
	})
}

func TestWriteLinesRotates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b-json.log")
	w, err := NewWriter(path, 300, 3)
	if err != nil {
		t.Fatal(err)
	}
	var data []byte
	for i := 0; i < 30; i++ {
		data = append(data, fmt.Sprintf("line %02d\n", i)...)
	}
	if err := w.WriteLines("stderr", data, time.Now()); err != nil {
		t.Fatal(err)
	}
	w.Close()
	for _, p := range []string{path, path + ".1", path + ".2"} {
		st, err := os.Stat(p)
		if err != nil || st.Size() > 300 {
			t.Fatalf("%s: %v %v", p, st, err)
		}
	}
	var got []string
	for m := range Read(context.Background(), path, ReadOptions{Tail: -1}) {
		if m.Err != nil || m.Stream != "stderr" {
			t.Fatal(m.Err, m.Stream)
		}
		got = append(got, string(m.Line))
	}
	if len(got) < 6 || got[len(got)-1] != "line 29\n" {
		t.Fatalf("%q", got)
	}
}
