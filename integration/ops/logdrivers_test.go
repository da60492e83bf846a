package ops

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
)

// udpListener collects datagrams on 127.0.0.1.
func udpListener(t *testing.T) (string, <-chan []byte) {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ch := make(chan []byte, 100)
	go func() {
		buf := make([]byte, 65536)
		for {
			n, _, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			ch <- append([]byte(nil), buf[:n]...)
		}
	}()
	return c.LocalAddr().String(), ch
}

// tcpListener hands each accepted connection's bytes, split by sep, to
// the channel.
func tcpListener(t *testing.T, sep byte) (string, <-chan []byte) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ch := make(chan []byte, 100)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					b, err := br.ReadBytes(sep)
					if len(b) > 0 {
						ch <- bytes.TrimSuffix(b, []byte{sep})
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return l.Addr().String(), ch
}

func collect(t *testing.T, ch <-chan []byte, n int) [][]byte {
	t.Helper()
	var out [][]byte
	timeout := time.After(10 * time.Second)
	for len(out) < n {
		select {
		case b := <-ch:
			out = append(out, b)
		case <-timeout:
			t.Fatalf("got %d of %d messages: %q", len(out), n, out)
		}
	}
	return out
}

// runLogged runs a container printing two lines (one to stderr) and
// checks that docker logs still reads them from the local cache.
func runLogged(t *testing.T, d *testutil.Daemon, name string, opts ...string) {
	t.Helper()
	args := append([]string{"run", "--name", name, "--label", "team=ops", "-e", "STAGE=test"}, opts...)
	must(t, d.Run, append(args, "busybox", "sh", "-c", "echo hello-out; echo hello-err >&2")...)
	t.Cleanup(func() { d.Run("rm", "-f", name) })
	out := must(t, d.Run, "logs", name)
	if !strings.Contains(out, "hello-out\n") || !strings.Contains(out, "hello-err\n") {
		t.Fatalf("docker logs with a remote driver (dual logging): %q", out)
	}
}

func TestSyslogDriver(t *testing.T) {
	d := daemon(t)
	addr, ch := udpListener(t)
	runLogged(t, d, "sl-udp", "--log-driver", "syslog", "--log-opt", "syslog-address=udp://"+addr,
		"--log-opt", "syslog-format=rfc5424", "--log-opt", "tag={{.Name}}/{{.ImageName}}", "--log-opt", "syslog-facility=local0")
	msgs := collect(t, ch, 2)
	all := string(bytes.Join(msgs, []byte("\n")))
	// local0 (16)*8 + info (6) = 134; stderr is err (3): 131.
	if !strings.Contains(all, "<134>1 ") || !strings.Contains(all, " sl-udp/busybox ") || !strings.Contains(all, " - hello-out") ||
		!strings.Contains(all, "<131>1 ") || !strings.Contains(all, " - hello-err") {
		t.Fatalf("rfc5424 over udp: %q", all)
	}

	addr, ch = tcpListener(t, '\n')
	runLogged(t, d, "sl-tcp", "--log-driver", "syslog", "--log-opt", "syslog-address=tcp://"+addr, "--log-opt", "syslog-format=rfc3164")
	msgs = collect(t, ch, 2)
	id := strings.TrimSpace(must(t, d.Run, "inspect", "-f", "{{.Id}}", "sl-tcp"))[:12]
	for _, m := range msgs {
		s := string(m)
		if !strings.HasPrefix(s, "<30>") && !strings.HasPrefix(s, "<27>") || !strings.Contains(s, " "+id+"[") {
			t.Fatalf("rfc3164 over tcp (daemon facility, tag = short ID): %q", s)
		}
	}

	sock := filepath.Join(t.TempDir(), "log.sock")
	uc, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	uch := make(chan []byte, 10)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := uc.Read(buf)
			if err != nil {
				return
			}
			uch <- append([]byte(nil), buf[:n]...)
		}
	}()
	runLogged(t, d, "sl-unix", "--log-driver", "syslog", "--log-opt", "syslog-address=unixgram://"+sock)
	if m := collect(t, uch, 2); !bytes.Contains(bytes.Join(m, nil), []byte("hello-out")) {
		t.Fatalf("unix socket: %q", m)
	}
	// inspect shows the effective driver.
	if out := must(t, d.Run, "inspect", "-f", "{{.HostConfig.LogConfig.Type}}", "sl-unix"); out != "syslog\n" {
		t.Fatalf("LogConfig.Type: %q", out)
	}
}

func TestGELFDriver(t *testing.T) {
	d := daemon(t)
	addr, ch := udpListener(t)
	runLogged(t, d, "gelf-udp", "--log-driver", "gelf", "--log-opt", "gelf-address=udp://"+addr,
		"--log-opt", "labels=team", "--log-opt", "env=STAGE", "--log-opt", "tag={{.DaemonName}}-{{.ID}}")
	for _, m := range collect(t, ch, 2) {
		zr, err := gzip.NewReader(bytes.NewReader(m))
		if err != nil {
			t.Fatalf("udp gelf not gzipped: %v", err)
		}
		raw, _ := io.ReadAll(zr)
		var g map[string]any
		if err := json.Unmarshal(raw, &g); err != nil {
			t.Fatal(err)
		}
		if g["version"] != "1.1" || g["_container_name"] != "gelf-udp" || g["_team"] != "ops" || g["_STAGE"] != "test" ||
			!strings.HasPrefix(g["_tag"].(string), "docker-") || g["_image_name"] != "busybox" {
			t.Fatalf("gelf message: %v", g)
		}
		if sm := g["short_message"]; !(sm == "hello-out" && g["level"].(float64) == 6 || sm == "hello-err" && g["level"].(float64) == 3) {
			t.Fatalf("gelf line/level: %v", g)
		}
	}
	addr, ch = tcpListener(t, 0)
	runLogged(t, d, "gelf-tcp", "--log-driver", "gelf", "--log-opt", "gelf-address=tcp://"+addr)
	for _, m := range collect(t, ch, 2) {
		var g map[string]any
		if err := json.Unmarshal(m, &g); err != nil || g["_container_name"] != "gelf-tcp" {
			t.Fatalf("gelf over tcp: %v %q", err, m)
		}
	}
}

// decodeForward decodes the msgpack subset of a fluentd Message:
// [tag, time, {str: str}].
func decodeForward(t *testing.T, r *bufio.Reader) (string, uint64, map[string]string) {
	t.Helper()
	b, _ := r.ReadByte()
	if b != 0x93 {
		t.Fatalf("not a 3-array: %x", b)
	}
	str := func() string {
		b, _ := r.ReadByte()
		var n int
		switch {
		case b&0xe0 == 0xa0:
			n = int(b & 0x1f)
		case b == 0xd9:
			c, _ := r.ReadByte()
			n = int(c)
		case b == 0xda:
			var v uint16
			_ = binary.Read(r, binary.BigEndian, &v)
			n = int(v)
		default:
			t.Fatalf("not a string: %x", b)
		}
		buf := make([]byte, n)
		_, _ = io.ReadFull(r, buf)
		return string(buf)
	}
	tag := str()
	var ts uint64
	b, _ = r.ReadByte()
	switch {
	case b < 0x80:
		ts = uint64(b)
	case b == 0xcf:
		_ = binary.Read(r, binary.BigEndian, &ts)
	default:
		t.Fatalf("time: %x", b)
	}
	b, _ = r.ReadByte()
	if b&0xf0 != 0x80 {
		t.Fatalf("not a fixmap: %x", b)
	}
	rec := map[string]string{}
	for i := 0; i < int(b&0x0f); i++ {
		k := str()
		rec[k] = str()
	}
	return tag, ts, rec
}

func TestFluentdDriver(t *testing.T) {
	d := daemon(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	type rec struct {
		tag string
		ts  uint64
		m   map[string]string
	}
	ch := make(chan rec, 10)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		for i := 0; i < 2; i++ {
			tag, ts, m := decodeForward(t, br)
			ch <- rec{tag, ts, m}
		}
	}()
	runLogged(t, d, "fl", "--log-driver", "fluentd", "--log-opt", "fluentd-address="+l.Addr().String(), "--log-opt", "tag=app.{{.Name}}", "--log-opt", "env=STAGE")
	now := uint64(time.Now().Unix())
	for i := 0; i < 2; i++ {
		select {
		case r := <-ch:
			if r.tag != "app.fl" || r.ts+60 < now || r.m["container_name"] != "/fl" || len(r.m["container_id"]) != 64 || r.m["STAGE"] != "test" ||
				!(r.m["log"] == "hello-out" && r.m["source"] == "stdout" || r.m["log"] == "hello-err" && r.m["source"] == "stderr") {
				t.Fatalf("fluentd record: %+v", r)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no fluentd record")
		}
	}
}

func TestLogListenerDown(t *testing.T) {
	d := daemon(t)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := l.Addr().String()
	l.Close()
	// Blocking mode (the default): the start fails with a clear error.
	out, err := d.Run("run", "-d", "--name", "blk", "--log-driver", "fluentd", "--log-opt", "fluentd-address="+dead, "busybox", "echo", "x")
	defer d.Run("rm", "-f", "blk")
	if err == nil || !strings.Contains(out, "failed to initialize logging driver") || !strings.Contains(out, "connection refused") {
		t.Fatalf("blocking with the listener down: %v %q", err, out)
	}
	// Non-blocking: the container runs, its lines stay readable.
	must(t, d.Run, "run", "--name", "nbl", "--log-driver", "syslog", "--log-opt", "syslog-address=tcp://"+dead,
		"--log-opt", "mode=non-blocking", "--log-opt", "max-buffer-size=4k", "busybox", "sh", "-c", "seq 1 200")
	defer d.Run("rm", "-f", "nbl")
	if out := must(t, d.Run, "logs", "--tail", "1", "nbl"); out != "200\n" {
		t.Fatalf("logs of a non-blocking container whose listener is down: %q", out)
	}
}

func TestLocalDriversAndErrors(t *testing.T) {
	d := daemon(t)
	// json-file rotation with compression: rotated files are gzipped and
	// logs reads across them.
	must(t, d.Run, "run", "--name", "jz", "--log-opt", "max-size=2k", "--log-opt", "max-file=3", "--log-opt", "compress=true",
		"busybox", "sh", "-c", "seq 1 2000")
	defer d.Run("rm", "-f", "jz")
	logPath := strings.TrimSpace(must(t, d.Run, "inspect", "-f", "{{.LogPath}}", "jz"))
	if _, err := os.Stat(logPath + ".1.gz"); err != nil {
		t.Fatalf("no compressed rotation: %v", err)
	}
	lines := strings.Fields(must(t, d.Run, "logs", "jz"))
	if len(lines) < 60 || lines[len(lines)-1] != "2000" {
		t.Fatalf("logs across gzipped files: %d lines, last %q", len(lines), lines[len(lines)-1])
	}
	for i := 1; i < len(lines); i++ {
		if atoiT(t, lines[i]) != atoiT(t, lines[i-1])+1 {
			t.Fatalf("gap at %s -> %s", lines[i-1], lines[i])
		}
	}
	must(t, d.Run, "run", "--name", "loc", "--log-driver", "local", "busybox", "echo", "local-line")
	defer d.Run("rm", "-f", "loc")
	if out := must(t, d.Run, "logs", "loc"); out != "local-line\n" {
		t.Fatalf("local driver logs: %q", out)
	}
	must(t, d.Run, "run", "--name", "nolog", "--log-driver", "none", "busybox", "echo", "x")
	defer d.Run("rm", "-f", "nolog")
	if out, err := d.Run("logs", "nolog"); err == nil || !strings.Contains(out, "configured logging driver does not support reading") {
		t.Fatalf("none: %v %q", err, out)
	}
	// Docker's errors at create, nothing created.
	for _, tt := range []struct{ body, msg string }{
		{`{"Type":"bogus"}`, "logger: no log driver named 'bogus' is registered"},
		{`{"Type":"syslog","Config":{"bogus":"1"}}`, "unknown log opt 'bogus' for syslog log driver"},
		{`{"Type":"gelf","Config":{}}`, "gelf-address is a required parameter"},
		{`{"Type":"json-file","Config":{"mode":"sometimes"}}`, "logger: logging mode not supported: sometimes"},
		{`{"Type":"json-file","Config":{"max-buffer-size":"1m"}}`, "logger: max-buffer-size option is only supported with 'mode=non-blocking'"},
		{`{"Type":"syslog","Config":{"syslog-format":"xml"}}`, "Invalid syslog format"},
	} {
		body := []byte(`{"Image":"busybox","Cmd":["true"],"HostConfig":{"LogConfig":` + tt.body + `}}`)
		if code, msg := post(t, d, "/containers/create?name=badlog", body); code != 400 || msg != tt.msg {
			t.Errorf("%s: %d %q, want 400 %q", tt.body, code, msg, tt.msg)
		}
	}
	if out, _ := d.Run("ps", "-aq", "--filter", "name=badlog"); out != "" {
		t.Fatalf("rejected creates left %q", out)
	}
}

func TestJournaldAndDaemonDefault(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "journal.sock")
	uc, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	ch := make(chan []byte, 10)
	go func() {
		buf := make([]byte, 65536)
		for {
			n, err := uc.Read(buf)
			if err != nil {
				return
			}
			ch <- append([]byte(nil), buf[:n]...)
		}
	}()
	t.Setenv("BERTH_JOURNAL_SOCKET", sock)
	addr, sch := udpListener(t)
	// The daemon's default driver and options apply to containers that
	// name none.
	d := testutil.StartDaemon(t, "--log-driver", "syslog", "--log-opt", "syslog-address=udp://"+addr)
	d.LoadBusybox(t)
	runLogged(t, d, "dflt")
	if m := collect(t, sch, 2); !bytes.Contains(bytes.Join(m, nil), []byte("hello-out")) {
		t.Fatalf("daemon default driver: %q", m)
	}
	if out := must(t, d.Run, "inspect", "-f", "{{.HostConfig.LogConfig.Type}} {{index .HostConfig.LogConfig.Config \"syslog-address\"}}", "dflt"); out != "syslog udp://"+addr+"\n" {
		t.Fatalf("inspect LogConfig: %q", out)
	}
	runLogged(t, d, "jd", "--log-driver", "journald", "--log-opt", "labels=team")
	for _, m := range collect(t, ch, 2) {
		s := string(m)
		if !strings.Contains(s, "CONTAINER_NAME=jd\n") || !strings.Contains(s, "TEAM=ops\n") || !strings.Contains(s, "MESSAGE=hello-") {
			t.Fatalf("journal entry: %q", s)
		}
	}
	// Without journald, the start fails with Docker's clear error.
	uc.Close()
	os.Remove(sock)
	out, err := d.Run("run", "--name", "nojd", "--log-driver", "journald", "busybox", "true")
	defer d.Run("rm", "-f", "nojd")
	if err == nil || !strings.Contains(out, "journald is not enabled on this host") {
		t.Fatalf("journald absent: %v %q", err, out)
	}
}
