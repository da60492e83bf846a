package ops

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
	"github.com/moby/moby/client"
)

// counterCmd prints 1, 2, 3 ... every 50 ms: a gap in its log shows lost
// lines.
const counterCmd = "i=0; while :; do i=$((i+1)); echo $i; sleep 0.05; done"

// checkSequence reports the first gap in a log of counter lines.
func checkSequence(log string) (int, error) {
	lines := strings.Fields(log)
	for i, l := range lines {
		if n, err := strconv.Atoi(l); err != nil || n != i+1 {
			return i, fmt.Errorf("line %d is %q", i+1, l)
		}
	}
	return len(lines), nil
}

func TestLiveRestoreSIGKILL(t *testing.T) {
	d := testutil.StartDaemon(t, "--live-restore")
	d.LoadBusybox(t)
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			args := []string{"run", "-d", "--name", fmt.Sprintf("lr%d", i)}
			if i == 0 {
				args = append(args, "-p", "127.0.0.1::80")
			}
			cmd := counterCmd
			if i == 0 {
				cmd = "httpd -p 80 -h /etc; " + counterCmd
			}
			if out, err := d.Run(append(args, "busybox", "sh", "-c", cmd)...); err != nil {
				errs <- fmt.Errorf("%v %s", err, out)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// This one exits while the daemon is down.
	must(t, d.Run, "run", "-d", "--name", "quitter", "busybox", "sh", "-c", "sleep 2; exit 3")
	port := strings.TrimSpace(must(t, d.Run, "port", "lr0", "80"))
	time.Sleep(500 * time.Millisecond)
	before := map[string]int{}
	for i := 0; i < n; i++ {
		k, _ := checkSequence(must(t, d.Run, "logs", fmt.Sprintf("lr%d", i)))
		before[fmt.Sprintf("lr%d", i)] = k
	}
	if err := d.CrashFor(3 * time.Second); err != nil {
		t.Fatal(err)
	}
	out := must(t, d.Run, "ps", "--format", "{{.Names}}")
	if got := len(strings.Fields(out)); got != n {
		t.Fatalf("%d containers running after the crash, want %d:\n%s", got, n, out)
	}
	if out := must(t, d.Run, "inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "quitter"); out != "exited 3\n" {
		t.Fatalf("exit during the outage: %q", out)
	}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("lr%d", i)
		k, err := checkSequence(must(t, d.Run, "logs", name))
		if err != nil {
			t.Fatalf("%s: log has a gap: %v", name, err)
		}
		// 3 s down at 20 lines a second: the shim kept writing.
		if k < before[name]+40 {
			t.Fatalf("%s: %d lines after the outage, %d before", name, k, before[name])
		}
	}
	// Everything works on a restored container.
	if out := must(t, d.Run, "exec", "lr1", "echo", "exec-ok"); out != "exec-ok\n" {
		t.Fatalf("exec: %q", out)
	}
	resp, err := http.Get("http://" + port + "/hostname")
	if err != nil {
		t.Fatalf("published port: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if len(strings.TrimSpace(string(body))) != 12 {
		t.Fatalf("published port answered %q", body)
	}
	if out := must(t, d.Run, "stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", "lr2"); !strings.HasPrefix(out, "lr2 ") || strings.HasPrefix(out, "lr2 0") {
		t.Fatalf("stats: %q", out)
	}
	api := apiClient(t, d)
	// logs -f follows new lines.
	rc, err := api.ContainerLogs(bg, "lr3", client.ContainerLogsOptions{ShowStdout: true, Follow: true, Tail: "1"})
	if err != nil {
		t.Fatal(err)
	}
	got := readFrames(t, rc, 3)
	rc.Close()
	if len(got) < 3 {
		t.Fatalf("logs -f after restore: %q", got)
	}
	// attach sees live output.
	hr, err := api.ContainerAttach(bg, "lr4", client.ContainerAttachOptions{Stream: true, Stdout: true})
	if err != nil {
		t.Fatal(err)
	}
	got = readFrames(t, hr.Reader, 2)
	hr.Close()
	if len(got) < 2 {
		t.Fatalf("attach after restore: %q", got)
	}
	if out := must(t, d.Run, "stop", "-t", "1", "lr5"); out != "lr5\n" {
		t.Fatalf("stop: %q", out)
	}
	if out := must(t, d.Run, "inspect", "-f", "{{.State.Status}}", "lr5"); out != "exited\n" {
		t.Fatalf("after stop: %q", out)
	}
}

// readFrames reads stdcopy frames (non-TTY streams) until n lines came
// or two seconds passed.
func readFrames(t *testing.T, r io.Reader, n int) []string {
	t.Helper()
	lines := make(chan string, 100)
	go func() {
		br := bufio.NewReader(r)
		hdr := make([]byte, 8)
		for {
			if _, err := io.ReadFull(br, hdr); err != nil {
				close(lines)
				return
			}
			size := int(hdr[4])<<24 | int(hdr[5])<<16 | int(hdr[6])<<8 | int(hdr[7])
			buf := make([]byte, size)
			if _, err := io.ReadFull(br, buf); err != nil {
				close(lines)
				return
			}
			for _, l := range strings.Fields(string(buf)) {
				lines <- l
			}
		}
	}()
	var out []string
	timeout := time.After(3 * time.Second)
	for len(out) < n {
		select {
		case l, ok := <-lines:
			if !ok {
				return out
			}
			out = append(out, l)
		case <-timeout:
			return out
		}
	}
	return out
}

func TestLiveRestoreDaemonStop(t *testing.T) {
	d := testutil.StartDaemon(t, "--live-restore")
	d.LoadBusybox(t)
	must(t, d.Run, "run", "-d", "--name", "keep", "busybox", "sh", "-c", counterCmd)
	time.Sleep(300 * time.Millisecond)
	// SIGTERM with live-restore: the container keeps running.
	if err := d.Restart(); err != nil {
		t.Fatal(err)
	}
	if out := must(t, d.Run, "inspect", "-f", "{{.State.Status}}", "keep"); out != "running\n" {
		t.Fatalf("after a live-restore daemon stop: %q", out)
	}
	if _, err := checkSequence(must(t, d.Run, "logs", "keep")); err != nil {
		t.Fatal(err)
	}
	must(t, d.Run, "rm", "-f", "keep")
}

// TestLiveRestoreShipsLogs: lines a container writes while the daemon is
// down reach the remote driver once it is back, each exactly once.
func TestLiveRestoreShipsLogs(t *testing.T) {
	addr, ch := tcpListener(t, '\n')
	d := testutil.StartDaemon(t, "--live-restore")
	d.LoadBusybox(t)
	must(t, d.Run, "run", "-d", "--name", "ship", "--log-driver", "syslog", "--log-opt", "syslog-address=tcp://"+addr,
		"--log-opt", "syslog-format=rfc5424", "busybox", "sh", "-c", "i=0; while [ $i -lt 100 ]; do i=$((i+1)); echo line-$i; sleep 0.04; done; sleep 1d")
	defer d.Run("rm", "-f", "ship")
	time.Sleep(time.Second)
	if err := d.CrashFor(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	deadline := time.After(15 * time.Second)
	for len(seen) < 100 {
		select {
		case m := <-ch:
			s := string(m)
			if i := strings.LastIndex(s, " - line-"); i >= 0 {
				seen[s[i+3:]]++
			}
		case <-deadline:
			t.Fatalf("%d of 100 lines shipped after the outage", len(seen))
		}
	}
	time.Sleep(500 * time.Millisecond)
	for len(ch) > 0 {
		m := <-ch
		if i := strings.LastIndex(string(m), " - line-"); i >= 0 {
			seen[string(m)[i+3:]]++
		}
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s shipped %d times", k, n)
		}
	}
}
