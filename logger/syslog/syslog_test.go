package syslog

import (
	"testing"
	"time"
)

func TestFormats(t *testing.T) {
	ts := time.Date(2026, 12, 7, 5, 4, 3, 123456789, time.UTC)
	tests := map[string]string{
		"rfc3164":      "<30>Dec  7 05:04:03 h tag[9]: msg",
		"rfc5424":      "<30>1 2026-12-07T05:04:03Z h tag 9 tag - msg",
		"rfc5424micro": "<30>1 2026-12-07T05:04:03.123456Z h tag 9 tag - msg",
		"":             "<30>2026-12-07T05:04:03Z h tag[9]: msg",
	}
	for f, want := range tests {
		fn, err := formatter(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := fn(30, ts, "h", "tag", 9, "msg"); got != want {
			t.Errorf("%q: %q, want %q", f, got, want)
		}
	}
	if _, err := formatter("xml"); err == nil || err.Error() != "Invalid syslog format" {
		t.Errorf("bad format: %v", err)
	}
}

func TestValidate(t *testing.T) {
	for _, tt := range []struct {
		cfg  map[string]string
		want string
	}{
		{map[string]string{"syslog-address": "udp://127.0.0.1:514", "syslog-facility": "local3", "tag": "x"}, ""},
		{map[string]string{"syslog-address": "ftp://x"}, "unsupported scheme: 'ftp'"},
		{map[string]string{"syslog-facility": "nope"}, "invalid syslog facility"},
		{map[string]string{"foo": "1"}, "unknown log opt 'foo' for syslog log driver"},
	} {
		err := Validate(tt.cfg)
		if (tt.want == "") != (err == nil) || (err != nil && err.Error() != tt.want) {
			t.Errorf("%v: %v, want %q", tt.cfg, err, tt.want)
		}
	}
}
