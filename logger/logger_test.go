package logger

import (
	"errors"
	"sync"
	"testing"
	"time"
)

var info = Info{
	Config:        map[string]string{},
	ContainerID:   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	ContainerName: "/web", ContainerImageID: "sha256:fedcba9876543210fedcba9876543210",
	ContainerImageName: "busybox:latest", ContainerEntrypoint: "sh", ContainerArgs: []string{"-c", "true"},
	ContainerEnv:    []string{"STAGE=test", "SECRET=x", "REGION=eu"},
	ContainerLabels: map[string]string{"team": "ops", "tier": "web"},
	Daemon:          "docker",
}

func TestTag(t *testing.T) {
	tests := []struct{ tag, want string }{
		{"", "0123456789ab"},
		{"{{.FullID}}", info.ContainerID},
		{"{{.Name}}/{{.ImageName}}/{{.ID}}", "web/busybox:latest/0123456789ab"},
		{"{{.ImageID}} {{.ImageFullID}}", "fedcba987654 sha256:fedcba9876543210fedcba9876543210"},
		{"{{.DaemonName}}.{{.Command}}", "docker.sh -c true"},
		{"static", "static"},
	}
	for _, tt := range tests {
		i := info
		i.Config = map[string]string{"tag": tt.tag}
		got, err := i.Tag("{{.ID}}")
		if err != nil || got != tt.want {
			t.Errorf("%q: %q %v, want %q", tt.tag, got, err, tt.want)
		}
	}
	i := info
	i.Config = map[string]string{"tag": "{{.Nope}}"}
	if _, err := i.Tag("{{.ID}}"); err == nil {
		t.Error("unknown field accepted")
	}
}

func TestExtraAttributes(t *testing.T) {
	i := info
	i.Config = map[string]string{"labels": "team,missing", "env": "STAGE", "env-regex": "^REG"}
	got, err := i.ExtraAttributes(nil)
	if err != nil || len(got) != 3 || got["team"] != "ops" || got["STAGE"] != "test" || got["REGION"] != "eu" {
		t.Fatalf("%v %v", got, err)
	}
	i.Config = map[string]string{"labels-regex": "^ti"}
	got, _ = i.ExtraAttributes(func(k string) string { return "_" + k })
	if len(got) != 1 || got["_tier"] != "web" {
		t.Fatalf("regex + keyMod: %v", got)
	}
	i.Config = map[string]string{"env-regex": "("}
	if _, err := i.ExtraAttributes(nil); err == nil {
		t.Fatal("bad regex accepted")
	}
}

func TestValidateOpts(t *testing.T) {
	Register("test-remote", Factory{New: func(Info) (Driver, error) { return nil, errors.New("x") }, Validate: Allow("test-remote", "a")})
	tests := []struct {
		driver string
		cfg    map[string]string
		want   string
	}{
		{"none", map[string]string{"anything": "x"}, ""},
		{"test-remote", map[string]string{"a": "1", "mode": "non-blocking", "max-buffer-size": "2m", "cache-disabled": "true"}, ""},
		{"test-remote", map[string]string{"b": "1"}, "unknown log opt 'b' for test-remote log driver"},
		{"test-remote", map[string]string{"mode": "fast"}, "logger: logging mode not supported: fast"},
		{"test-remote", map[string]string{"max-buffer-size": "1m"}, "logger: max-buffer-size option is only supported with 'mode=non-blocking'"},
		{"missing", nil, "logger: no log driver named 'missing' is registered"},
	}
	for _, tt := range tests {
		err := ValidateOpts(tt.driver, tt.cfg)
		if (tt.want == "" && err != nil) || (tt.want != "" && (err == nil || err.Error() != tt.want)) {
			t.Errorf("%s %v: %v, want %q", tt.driver, tt.cfg, err, tt.want)
		}
	}
}

// slowDriver blocks until released, counting what it got.
type slowDriver struct {
	mu      sync.Mutex
	release chan struct{}
	got     int
}

func (s *slowDriver) Log(*Message) error {
	<-s.release
	s.mu.Lock()
	s.got++
	s.mu.Unlock()
	return nil
}
func (s *slowDriver) Close() error { return nil }

func TestRingDropsWhenFull(t *testing.T) {
	d := &slowDriver{release: make(chan struct{})}
	r := NewRing(d, 100)
	start := time.Now()
	for i := 0; i < 50; i++ {
		if err := r.Log(&Message{Line: make([]byte, 10)}); err != nil {
			t.Fatal(err)
		}
	}
	if time.Since(start) > time.Second {
		t.Fatal("non-blocking Log blocked")
	}
	if r.Dropped() < 30 {
		t.Fatalf("dropped %d of 50 with room for ~10", r.Dropped())
	}
	close(d.release)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if d.got+r.Dropped() != 50 {
		t.Fatalf("delivered %d + dropped %d != 50", d.got, r.Dropped())
	}
	if err := r.Log(&Message{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
}

func FuzzTag(f *testing.F) {
	for _, s := range []string{"{{.ID}}", "{{.Name}}/{{.ImageName}}", "{{", "x{{.FullID}}y", "{{printf \"%s\" .Name}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		i := info
		i.Config = map[string]string{"tag": s}
		_, _ = i.Tag("{{.ID}}") // must not panic
	})
}
