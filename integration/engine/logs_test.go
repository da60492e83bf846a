package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLogsOptions(t *testing.T) {
	d := daemon(t)
	for name, run := range clis(t, d) {
		t.Run(name, func(t *testing.T) {
			cname := "logs-" + name
			// stdout and stderr are separate pipes: nothing orders lines
			// across them (in Docker neither), so --tail 1 needs a pause.
			must(t, run, "run", "--name", cname, "busybox", "sh", "-c", "echo one; echo two >&2; sleep 0.2; echo three")
			defer run("rm", "-f", cname)
			if out := must(t, run, "logs", "--tail", "1", cname); out != "three\n" {
				t.Errorf("--tail 1: %q", out)
			}
			out := must(t, run, "logs", "-t", cname)
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != 3 {
				t.Fatalf("logs -t: %q", out)
			}
			ts, _, _ := strings.Cut(lines[0], " ")
			if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
				t.Errorf("timestamp %q: %v", ts, err)
			}
			future := time.Now().Add(time.Hour).Format(time.RFC3339)
			if out := must(t, run, "logs", "--since", future, cname); out != "" {
				t.Errorf("--since future: %q", out)
			}
			if out := must(t, run, "logs", "--until", "2000-01-01T00:00:00Z", cname); out != "" {
				t.Errorf("--until past: %q", out)
			}
		})
	}
}

func TestLogRotation(t *testing.T) {
	d := daemon(t)
	out := must(t, d.Run, "run", "-d", "--log-opt", "max-size=1k", "--log-opt", "max-file=2", "busybox",
		"sh", "-c", "i=0; while [ $i -lt 200 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done")
	id := strings.TrimSpace(out)
	defer d.Run("rm", "-f", id)
	must(t, d.Run, "wait", id)
	logPath := strings.TrimSpace(must(t, d.Run, "inspect", "-f", "{{.LogPath}}", id))
	files, _ := filepath.Glob(logPath + "*")
	if len(files) != 2 {
		t.Errorf("want 2 log files (max-file=2), got %v", files)
	}
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && fi.Size() > 2048 {
			t.Errorf("%s is %d bytes, max-size is 1k", f, fi.Size())
		}
	}
	logs := must(t, d.Run, "logs", id)
	if !strings.HasSuffix(logs, "line-199-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n") || strings.Contains(logs, "line-0-") {
		t.Errorf("rotated logs should keep only the newest lines, got %d bytes", len(logs))
	}
}

func TestEvents(t *testing.T) {
	d := daemon(t)
	for name, run := range clis(t, d) {
		t.Run(name, func(t *testing.T) {
			since := time.Now().Add(-time.Second).Format(time.RFC3339Nano)
			cname := "ev-" + name
			must(t, run, "run", "--rm", "--name", cname, "busybox", "true")
			until := time.Now().Add(time.Second).Format(time.RFC3339Nano)
			out := must(t, run, "events", "--since", since, "--until", until, "--filter", "container="+cname, "--format", "{{.Action}}")
			want := "create\nattach\nstart\ndie\ndestroy\n"
			got := strings.ReplaceAll(out, "attach\n", "")
			if got != strings.ReplaceAll(want, "attach\n", "") {
				t.Errorf("events: %q, want %q (attach optional)", out, want)
			}
		})
	}
}

func TestBadLogOpt(t *testing.T) {
	d := daemon(t)
	out, err := d.Run("run", "--rm", "--log-opt", "bogus=1", "busybox", "true")
	if err == nil || !strings.Contains(out, "unknown log opt 'bogus'") {
		t.Errorf("bad log opt: %v %q", err, out)
	}
}
