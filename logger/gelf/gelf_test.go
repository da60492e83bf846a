package gelf

import (
	"net"
	"testing"
)

func TestChunking(t *testing.T) {
	srv, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := net.Dial("udp", srv.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	payload := make([]byte, 3000)
	for i := range payload {
		payload[i] = byte(i)
	}
	if err := writeUDP(c, payload); err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 2000)
	for i := 0; i < 3; i++ {
		n, _, err := srv.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		if n > chunkSize || buf[0] != 0x1e || buf[1] != 0x0f || int(buf[10]) != i || buf[11] != 3 {
			t.Fatalf("chunk %d header % x (len %d)", i, buf[:12], n)
		}
		got = append(got, buf[12:n]...)
	}
	if string(got) != string(payload) {
		t.Fatal("reassembled payload differs")
	}
}

func TestValidate(t *testing.T) {
	if err := Validate(map[string]string{"gelf-address": "udp://127.0.0.1:12201", "gelf-compression-type": "zlib"}); err != nil {
		t.Fatal(err)
	}
	for cfg, want := range map[string]string{"": "gelf-address is a required parameter", "http://h:1": "gelf: endpoint needs to be TCP or UDP"} {
		if err := Validate(map[string]string{"gelf-address": cfg}); err == nil || err.Error() != want {
			t.Errorf("%q: %v, want %q", cfg, err, want)
		}
	}
}
