package fluentd

import (
	"bytes"
	"testing"
	"time"
)

func TestMessageEncoding(t *testing.T) {
	ts := time.Unix(1700000000, 5)
	got := message("t", ts, false, map[string]string{"log": "hi", "a": ""})
	want := []byte{0x93, 0xa1, 't', 0xcf, 0, 0, 0, 0, 0x65, 0x53, 0xf1, 0x00, 0x82, 0xa1, 'a', 0xa0, 0xa3, 'l', 'o', 'g', 0xa2, 'h', 'i'}
	if !bytes.Equal(got, want) {
		t.Fatalf("got % x\nwant % x", got, want)
	}
	sub := message("t", ts, true, nil)
	if !bytes.Equal(sub[3:13], []byte{0xd7, 0x00, 0x65, 0x53, 0xf1, 0x00, 0, 0, 0, 5}) {
		t.Fatalf("EventTime: % x", sub)
	}
	long := appendStr(nil, string(make([]byte, 300)))
	if long[0] != 0xda || long[1] != 1 || long[2] != 44 || len(long) != 303 {
		t.Fatalf("str16: % x", long[:3])
	}
}

func TestAddress(t *testing.T) {
	for in, want := range map[string]string{"": "tcp 127.0.0.1:24224", "myhost": "tcp myhost:24224", "tcp://h:1": "tcp h:1", "unix:///run/f.sock": "unix /run/f.sock", ":99": "tcp 127.0.0.1:99"} {
		p, a, err := address(in)
		if err != nil || p+" "+a != want {
			t.Errorf("%q: %s %s %v, want %s", in, p, a, err, want)
		}
	}
	if _, _, err := address("udp://h:1"); err == nil {
		t.Error("udp accepted")
	}
}
