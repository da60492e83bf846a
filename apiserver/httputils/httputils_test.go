package httputils

import (
	"bytes"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
)

func TestBoolValue(t *testing.T) {
	tests := []struct {
		query string
		want  bool
		def   bool // BoolValueOrDefault with default true
	}{
		{"", false, true},
		{"x=1", true, true},
		{"x=true", true, true},
		{"x=True", true, true},
		{"x=yes", true, true},
		{"x=0", false, false},
		{"x=false", false, false},
		{"x=FALSE", false, false},
		{"x=no", false, false},
		{"x=none", false, false},
		{"x=", false, true},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/?"+tt.query, nil)
		if err := ParseForm(r); err != nil {
			t.Fatal(err)
		}
		if got := BoolValue(r, "x"); got != tt.want {
			t.Errorf("BoolValue(%q) = %v", tt.query, got)
		}
		if got := BoolValueOrDefault(r, "x", true); got != tt.def {
			t.Errorf("BoolValueOrDefault(%q) = %v", tt.query, got)
		}
	}
}

func TestParseTimestamp(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{"", time.Time{}, false},
		{"1700000000", time.Unix(1700000000, 0), false},
		{"1700000000.000000001", time.Unix(1700000000, 1), false},
		{"1700000000.5", time.Unix(1700000000, 500000000), false},
		{"2024-01-02T03:04:05Z", time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), false},
		{"1700000000.", time.Time{}, true},
		{"1700000000.1234567890", time.Time{}, true},
		{"10m", time.Time{}, true},
	}
	for _, tt := range tests {
		got, err := ParseTimestamp(tt.in)
		if (err != nil) != tt.wantErr || !got.Equal(tt.want) {
			t.Errorf("ParseTimestamp(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.41", "1.41", 0},
		{"1.9", "1.41", -1},
		{"1.56", "1.24", 1},
		{"1", "1.0", 0},
		{"2.0", "1.99", 1},
	}
	for _, tt := range tests {
		if got := CompareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d", tt.a, tt.b, got)
		}
	}
}

func TestStdWriterRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	out, errw := NewStdWriter(&buf, Stdout), NewStdWriter(&buf, Stderr)
	big := bytes.Repeat([]byte("x"), maxFrame+10)
	out.Write([]byte("a\n"))
	errw.Write([]byte("b\n"))
	out.Write(big)
	var o, e bytes.Buffer
	if _, err := stdcopy.StdCopy(&o, &e, &buf); err != nil {
		t.Fatal(err)
	}
	if o.String() != "a\n"+string(big) || e.String() != "b\n" {
		t.Fatalf("stdout %d bytes, stderr %q", o.Len(), e.String())
	}
}

func TestFormatStreamError(t *testing.T) {
	got := string(FormatStreamError(errString("boom")))
	if got != `{"errorDetail":{"message":"boom"},"error":"boom"}`+"\n" {
		t.Fatalf("got %s", got)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestParseFormKeepsBody(t *testing.T) {
	r := httptest.NewRequest("POST", "/images/load?quiet=1&names=a&names=b", strings.NewReader("a=tar-bytes"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := ParseForm(r); err != nil {
		t.Fatal(err)
	}
	if !BoolValue(r, "quiet") || len(r.Form["names"]) != 2 || r.FormValue("a") != "" {
		t.Fatalf("form = %v", r.Form)
	}
	body, _ := io.ReadAll(r.Body)
	if string(body) != "a=tar-bytes" {
		t.Fatalf("body consumed: %q", body)
	}
	bad := httptest.NewRequest("GET", "/x?a=%zz", nil)
	if err := ParseForm(bad); err == nil {
		t.Fatal("bad query accepted")
	}
}
