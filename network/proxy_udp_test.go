package network

import (
	"net"
	"testing"
	"time"
)

// TestUDPProxy relays two clients' datagrams to an echo server and back,
// each reply to its own client, and keeps serving after flows idle out.
func TestUDPProxy(t *testing.T) {
	echo, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := echo.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = echo.WriteTo(append([]byte("echo:"), buf[:n]...), from)
		}
	}()
	front, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := echo.LocalAddr().(*net.UDPAddr).AddrPort()
	done := make(chan struct{})
	go func() { serveUDPProxy(front, target, 200*time.Millisecond); close(done) }()

	ask := func(c net.Conn, msg string) string {
		t.Helper()
		if _, err := c.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		buf := make([]byte, 100)
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("%s: %v", msg, err)
		}
		return string(buf[:n])
	}
	var clients []net.Conn
	for i := 0; i < 2; i++ {
		c, err := net.Dial("udp4", front.LocalAddr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients = append(clients, c)
	}
	for round := 0; round < 2; round++ {
		for i, c := range clients {
			msg := string(rune('a'+i)) + string(rune('0'+round))
			if got := ask(c, msg); got != "echo:"+msg {
				t.Fatalf("client %d got %q, want echo:%s", i, got, msg)
			}
		}
		// Past the idle timeout the flows are gone; new ones take over.
		time.Sleep(400 * time.Millisecond)
	}
	_ = front.Close()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("proxy did not stop when its socket closed")
	}
}
