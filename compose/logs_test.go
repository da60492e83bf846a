package compose

import (
	"bytes"
	"testing"
)

func TestLogPrinter(t *testing.T) {
	var b bytes.Buffer
	lp := NewLogPrinter(&b, []string{"web-1", "client-1"}, false, false)
	w := &lineWriter{lp: lp, name: "web-1"}
	w.Write([]byte("one\ntw"))
	w.Write([]byte("o\r\nthree"))
	w.flush()
	lp.Status("web-1", "exited with code 0")
	want := "web-1     | one\nweb-1     | two\nweb-1     | three\nweb-1 exited with code 0\n"
	if b.String() != want {
		t.Fatalf("got\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	lp = NewLogPrinter(&b, []string{"a-1", "b-1"}, true, false)
	lp.Line("b-1", "x")
	if want := "\033[33mb-1  |\033[0m x\n"; b.String() != want {
		t.Fatalf("colour: %q, want %q (second service gets the second colour)", b.String(), want)
	}
	b.Reset()
	lp = NewLogPrinter(&b, []string{"a-1"}, true, true)
	lp.Line("a-1", "bare")
	if b.String() != "bare\n" {
		t.Fatalf("no prefix: %q", b.String())
	}
}

func TestPlainProgress(t *testing.T) {
	var b bytes.Buffer
	p := &PlainProgress{W: &b}
	p.Event(containerID("p-web-1"), "Started")
	p.Event(volumeID("p_data"), "Created")
	if want := " Container p-web-1  Started\n Volume \"p_data\"  Created\n"; b.String() != want {
		t.Fatalf("%q, want %q", b.String(), want)
	}
}

func TestPlainProgressText(t *testing.T) {
	var b bytes.Buffer
	(&PlainProgress{W: &b}).Text("web", "Pulling")
	if b.String() != " web Pulling \n" {
		t.Fatalf("%q", b.String())
	}
}
