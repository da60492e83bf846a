package swarm

import (
	"encoding/binary"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/apiserver/router/container"
	"github.com/berth-project/berth/internal/errdefs"
)

type frame struct {
	stream byte
	text   string
}

// frames splits a multiplexed body into its frames.
func frames(t *testing.T, body string) []frame {
	t.Helper()
	var out []frame
	b := []byte(body)
	for len(b) > 0 {
		if len(b) < 8 {
			t.Fatalf("truncated frame header %q", b)
		}
		n := int(binary.BigEndian.Uint32(b[4:8]))
		if len(b) < 8+n {
			t.Fatalf("truncated frame %q", b)
		}
		out = append(out, frame{b[0], string(b[8 : 8+n])})
		b = b[8+n:]
	}
	return out
}

func testLogs() []*container.LogMessage {
	at := time.Date(2026, 12, 7, 12, 0, 0, 5, time.UTC)
	attrs := func(task string) map[string]string {
		return map[string]string{"com.docker.swarm.task.id": task, "com.docker.swarm.node.id": "n1", "com.docker.swarm.service.id": "svc-web"}
	}
	return []*container.LogMessage{
		{Stream: "stdout", Line: []byte("hello\n"), Time: at, Attrs: attrs("t1")},
		{Stream: "stderr", Line: []byte("oops\n"), Time: at, Attrs: attrs("t2")},
		{Err: errors.New("boom")},
		{Stream: "other", Line: []byte("dropped\n"), Time: at},
		{Stream: "stdout", Line: []byte("odd\n"), Time: at, Attrs: map[string]string{"a b": "x,y=z"}},
		{Stream: "stdout", Line: []byte("bare"), Time: at},
	}
}

func TestLogs(t *testing.T) {
	const ts = "2026-12-07T12:00:00.000000005Z "
	const det1 = "com.docker.swarm.node.id=n1,com.docker.swarm.service.id=svc-web,com.docker.swarm.task.id=t1 "
	const det2 = "com.docker.swarm.node.id=n1,com.docker.swarm.service.id=svc-web,com.docker.swarm.task.id=t2 "
	const mux, raw = "application/vnd.docker.multiplexed-stream", "application/vnd.docker.raw-stream"
	tests := []struct {
		name, path string
		ctype      string
		frames     []frame // multiplexed bodies
		raw        string  // raw bodies
		calls      []string
	}{
		{"details and timestamps", "/services/web/logs?stdout=1&stderr=1&details=1&timestamps=1", mux,
			[]frame{{1, ts + det1 + "hello\n"}, {2, ts + det2 + "oops\n"}, {3, "Error grabbing logs: boom\n"}, {1, ts + "a+b=x%2Cy%3Dz odd\n"}, {1, ts + " bare"}}, "",
			[]string{"GetService web defaults=false", "ServiceLogs services=[web] tasks=[] out=true err=true follow=false ts=true details=true tail=-1 since=0"}},
		{"plain stdout only", "/services/web/logs?stdout=true&follow=1&tail=10&since=1700000000.5", mux,
			[]frame{{1, "hello\n"}, {3, "Error grabbing logs: boom\n"}, {1, "odd\n"}, {1, "bare"}}, "",
			[]string{"GetService web defaults=false", "ServiceLogs services=[web] tasks=[] out=true err=false follow=true ts=false details=false tail=10 since=1700000000500000000"}},
		{"stderr only, since 0", "/services/web/logs?stderr=1&since=0&tail=all", mux,
			[]frame{{2, "oops\n"}, {3, "Error grabbing logs: boom\n"}}, "",
			[]string{"GetService web defaults=false", "ServiceLogs services=[web] tasks=[] out=false err=true follow=false ts=false details=false tail=-1 since=0"}},
		// Before 1.42 the same frames go out labelled as a raw stream.
		{"1.41", "/v1.41/services/web/logs?stdout=1&stderr=1", raw,
			[]frame{{1, "hello\n"}, {2, "oops\n"}, {3, "Error grabbing logs: boom\n"}, {1, "odd\n"}, {1, "bare"}}, "",
			[]string{"GetService web defaults=false", "ServiceLogs services=[web] tasks=[] out=true err=true follow=false ts=false details=false tail=-1 since=0"}},
		{"tty service", "/services/term/logs?stdout=1&stderr=1&details=1", raw, nil,
			det1 + "hello\n" + det2 + "oops\nError grabbing logs: boom\na+b=x%2Cy%3Dz odd\n bare",
			[]string{"GetService term defaults=false", "ServiceLogs services=[term] tasks=[] out=true err=true follow=false ts=false details=true tail=-1 since=0"}},
		{"task", "/tasks/t1/logs?stdout=1&stderr=1&tail=", mux,
			[]frame{{1, "hello\n"}, {2, "oops\n"}, {3, "Error grabbing logs: boom\n"}, {1, "odd\n"}, {1, "bare"}}, "",
			[]string{"GetTask t1", "ServiceLogs services=[] tasks=[t1] out=true err=true follow=false ts=false details=false tail=-1 since=0"}},
		{"tty task", "/tasks/t2/logs?stdout=1", raw, nil, "hello\nError grabbing logs: boom\nodd\nbare",
			[]string{"GetTask t2", "ServiceLogs services=[] tasks=[t2] out=true err=false follow=false ts=false details=false tail=-1 since=0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			seed(f)
			f.logs = testLogs()
			srv := newTestServer(t, f)
			r := send(t, srv, "GET", tt.path, nil, "")
			if r.code != 200 || r.ctype != tt.ctype {
				t.Fatalf("%d %q: %q", r.code, r.ctype, r.body)
			}
			if tt.frames != nil {
				if got := frames(t, r.raw); !reflect.DeepEqual(got, tt.frames) {
					t.Errorf("frames\n%q\nwant\n%q", got, tt.frames)
				}
			} else if r.raw != tt.raw {
				t.Errorf("body\n%q\nwant\n%q", r.raw, tt.raw)
			}
			if got := f.journal(); !reflect.DeepEqual(got, tt.calls) {
				t.Errorf("calls %q\nwant  %q", got, tt.calls)
			}
		})
	}
}

func TestLogsBadInput(t *testing.T) {
	tests := []struct {
		name, path string
		down       bool
		code       int
		msg        string
		calls      []string
	}{
		{"no stream", "/services/web/logs", false, 400, "must specify at least one of 'stdout' or 'stderr'", nil},
		{"no stream, false", "/tasks/t1/logs?stdout=0&stderr=false", false, 400, "must specify at least one of 'stdout' or 'stderr'", nil},
		{"bad since", "/services/web/logs?stdout=1&since=abc", false, 400, `invalid value for "since": invalid timestamp "abc": invalid seconds "abc": invalid syntax`, nil},
		{"huge since", "/services/web/logs?stdout=1&since=99999999999999999999", false, 400, `invalid value for "since": invalid timestamp "99999999999999999999": invalid seconds "99999999999999999999": value out of range`, nil},
		{"bad since fraction", "/services/web/logs?stdout=1&since=1.-5", false, 400, `invalid value for "since": invalid timestamp "1.-5": invalid nanoseconds: invalid character '-' at position 0`, nil},
		// dockerd checks tail in its cluster, after finding the service,
		// with unclassed errors (500).
		{"bad tail", "/services/web/logs?stdout=1&tail=ten", false, 500, `tail value must be a positive integer or "all"`, []string{"GetService web defaults=false"}},
		{"negative tail", "/services/web/logs?stdout=1&tail=-1", false, 500, "negative tail values not supported", []string{"GetService web defaults=false"}},
		{"missing service", "/services/nope/logs?stdout=1&tail=ten", false, 404, "service nope not found", []string{"GetService nope defaults=false"}},
		{"missing task", "/tasks/nope/logs?stdout=1", false, 404, "task nope not found", []string{"GetTask nope"}},
		{"not manager", "/services/web/logs?stdout=1", true, 503, "not a manager", []string{"GetService web defaults=false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			seed(f)
			if tt.down {
				f.down = errdefs.Unavailable("not a manager")
			}
			r := send(t, newTestServer(t, f), "GET", tt.path, nil, "")
			if r.code != tt.code || message(t, r.body) != tt.msg {
				t.Errorf("%d %s, want %d %q", r.code, r.body, tt.code, tt.msg)
			}
			if got := f.journal(); !reflect.DeepEqual(got, tt.calls) {
				t.Errorf("calls %q, want %q", got, tt.calls)
			}
		})
	}
}

func TestParseSince(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		err  string
	}{
		{"", time.Time{}, ""},
		{"0", time.Unix(0, 0), ""},
		{"1700000000", time.Unix(1700000000, 0), ""},
		{"1700000000.", time.Unix(1700000000, 0), ""},
		{"1700000000.000", time.Unix(1700000000, 0), ""},
		{"1700000000.5", time.Unix(1700000000, 500000000), ""},
		{"1700000000.000000001", time.Unix(1700000000, 1), ""},
		{"1700000000.1234567891234", time.Unix(1700000000, 123456789), ""},
		{"-5", time.Unix(-5, 0), ""},
		{"1." + strings.Repeat("1", 21), time.Time{}, "invalid nanoseconds: length 21 exceeds maximum 20"},
		{"1.5x", time.Time{}, "invalid nanoseconds: invalid character 'x' at position 1"},
		{"2026-12-07T12:00:00Z", time.Time{}, `invalid seconds "2026-12-07T12:00:00Z": invalid syntax`},
	}
	for _, tt := range tests {
		got, err := parseSince(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("%q: %v %v, want %v", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParseSince(f *testing.F) {
	for _, s := range []string{"", "0", "1700000000.5", "1.000000001", "-1.5", "1.+5", "x", "1." + strings.Repeat("9", 20)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseSince(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "invalid timestamp ") {
				t.Fatalf("%q: unwrapped error %v", s, err)
			}
			return
		}
		// The seconds are the integer part, whatever the fraction.
		sec, _, _ := strings.Cut(s, ".")
		if want, _ := strconv.ParseInt(sec, 10, 64); s != "" && got.Unix() != want {
			t.Fatalf("%q: %v, want %d seconds", s, got, want)
		}
	})
}

func TestParseTail(t *testing.T) {
	for in, want := range map[string]int{"": -1, "all": -1, "0": 0, "10": 10} {
		if got, err := parseTail(in); err != nil || got != want {
			t.Errorf("%q: %d %v, want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"ALL", "ten", "1.5", "-1", " 1"} {
		if _, err := parseTail(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
