package engine

import (
	"bufio"
	"context"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

func running(t *testing.T, run func(...string) (string, error), name string) bool {
	t.Helper()
	out, _ := run("inspect", "-f", "{{.State.Running}}", name)
	return out == "true\n"
}

// TestDetachKeys types the detach sequences into a terminal running
// `run -it`, `attach` and `exec -it`: the container keeps running; `run`
// ends with 0, `attach` and `exec` with the docker CLI's "read escape
// sequence" and 1.
func TestDetachKeys(t *testing.T) {
	d := daemon(t)
	runs := clis(t, d)
	for name, bin := range cliBins(t, d) {
		t.Run(name, func(t *testing.T) {
			run := runs[name]
			cname := "det-" + name
			defer run("rm", "-f", cname, cname+"-x")

			p := startPty(t, d, bin, "run", "-it", "--name", cname, "busybox", "sh")
			p.send("echo ready-$((1+1))\r")
			p.expect("ready-2")
			p.send("\x10\x11") // ctrl-p ctrl-q
			if code := p.exit(); code != 0 {
				t.Fatalf("run -it after ctrl-p ctrl-q: exit %d\n%q", code, p.output())
			}
			if !running(t, run, cname) {
				t.Fatal("container stopped after detaching from run -it")
			}

			p = startPty(t, d, bin, "attach", cname)
			p.send("echo att-$((2+3))\r")
			p.expect("att-5")
			p.send("\x10\x11")
			if code := p.exit(); code != 1 || !strings.Contains(p.output(), "read escape sequence") {
				t.Fatalf("attach after ctrl-p ctrl-q: exit %d, want 1 and read escape sequence\n%q", code, p.output())
			}
			if !running(t, run, cname) {
				t.Fatal("container stopped after detaching from attach")
			}

			p = startPty(t, d, bin, "attach", "--detach-keys=ctrl-x,x", cname)
			p.send("echo ak-$((3+4))\r")
			p.expect("ak-7")
			// Not the sequence any more: must not detach. ctrl-p recalls history
			// in ash, ctrl-u clears the line again.
			p.send("\x10\x11\x15")
			p.send("echo still-$((1+8))\r")
			p.expect("still-9")
			p.send("\x18x")
			if code := p.exit(); code != 1 || !strings.Contains(p.output(), "read escape sequence") {
				t.Fatalf("attach --detach-keys: exit %d, want 1 and read escape sequence\n%q", code, p.output())
			}
			if !running(t, run, cname) {
				t.Fatal("container stopped after attach --detach-keys")
			}

			p = startPty(t, d, bin, "exec", "-it", "--detach-keys=ctrl-x,x", cname, "sh")
			p.send("echo ex-$((4+5))\r")
			p.expect("ex-9")
			p.send("\x18x")
			if code := p.exit(); code != 1 || !strings.Contains(p.output(), "read escape sequence") {
				t.Fatalf("exec -it --detach-keys: exit %d, want 1 and read escape sequence\n%q", code, p.output())
			}
			if !running(t, run, cname) {
				t.Fatal("container stopped after exec detach")
			}

			p = startPty(t, d, bin, "run", "-it", "--detach-keys=ctrl-x,x", "--name", cname+"-x", "busybox", "sh")
			p.send("echo rx-$((5+5))\r")
			p.expect("rx-10")
			p.send("\x18x")
			if code := p.exit(); code != 0 {
				t.Fatalf("run -it --detach-keys: exit %d\n%q", code, p.output())
			}
			if !running(t, run, cname+"-x") {
				t.Fatal("container stopped after run -it --detach-keys")
			}
			// The shell is still usable after all those detaches.
			out, err := run("exec", cname, "echo", "alive")
			if err != nil || out != "alive\n" {
				t.Errorf("exec after detaches: %v %q", err, out)
			}
		})
	}
}

// TestAttachSigProxy: `attach` forwards SIGTERM to the container by
// default; with --sig-proxy=false the container does not get it.
func TestAttachSigProxy(t *testing.T) {
	d := daemon(t)
	runs := clis(t, d)
	script := `trap "echo got-term; exit 3" TERM; while true; do echo tick; sleep 0.2; done`
	for name, bin := range cliBins(t, d) {
		t.Run(name, func(t *testing.T) {
			run := runs[name]
			for _, proxy := range []bool{true, false} {
				cname := "sig-" + name
				if out, err := run("run", "-d", "--name", cname, "busybox", "sh", "-c", script); err != nil {
					t.Fatalf("run -d: %v %s", err, out)
				}
				args := []string{"attach", cname}
				if !proxy {
					args = []string{"attach", "--sig-proxy=false", cname}
				}
				cmd := cliCmd(d, bin, args...)
				out := &lockedBuf{}
				cmd.Stdout, cmd.Stderr = out, out
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				// Output reaching the CLI means its signal handler is set up.
				waitFor(t, func() bool { return strings.Contains(out.String(), "tick") })
				_ = cmd.Process.Signal(syscall.SIGTERM)
				if !proxy {
					// The docker CLI survives a first SIGTERM (it cancels its
					// context); either way the container must not get it.
					time.Sleep(time.Second)
					if !running(t, run, cname) || strings.Contains(out.String(), "got-term") {
						t.Errorf("--sig-proxy=false: container got the signal: %q", out.String())
					}
					_ = cmd.Process.Kill()
					_ = cmd.Wait()
					run("rm", "-f", cname)
					continue
				}
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				var err error
				select {
				case err = <-done:
				case <-time.After(15 * time.Second):
					_ = cmd.Process.Kill()
					t.Fatalf("attach did not end after the proxied SIGTERM: %s", out.String())
				}
				code := testutil.ExitCode(err)
				if code != 3 || !strings.Contains(out.String(), "got-term") {
					t.Errorf("sig-proxy: attach exit %d, output %q; want 3 and got-term", code, out.String())
				}
				if running(t, run, cname) {
					t.Error("container still running after proxied SIGTERM")
				}
				run("rm", "-f", cname)
			}
		})
	}
}

func TestAttachStoppedContainer(t *testing.T) {
	d := daemon(t)
	for name, run := range clis(t, d) {
		t.Run(name, func(t *testing.T) {
			cname := "stopped-" + name
			must(t, run, "create", "--name", cname, "busybox", "true")
			defer run("rm", "-f", cname)
			out, err := run("attach", cname)
			if testutil.ExitCode(err) != 1 || !strings.Contains(out, "You cannot attach to a stopped container, start it first") {
				t.Errorf("attach to a created container: %v %q", err, out)
			}
		})
	}
}

// readUntil reads r until it has seen want.
func readUntil(t *testing.T, r io.Reader, want string) string {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		var sb strings.Builder
		br := bufio.NewReader(r)
		for {
			b, err := br.ReadByte()
			if err != nil {
				got <- sb.String()
				return
			}
			sb.WriteByte(b)
			if strings.Contains(sb.String(), want) {
				got <- sb.String()
				return
			}
		}
	}()
	select {
	case s := <-got:
		if !strings.Contains(s, want) {
			t.Fatalf("stream ended without %q: %q", want, s)
		}
		return s
	case <-time.After(15 * time.Second):
		t.Fatalf("no %q on the stream within 15s", want)
		return ""
	}
}

// TestResizeAndDetachThroughAPI resizes a container's and an exec's tty
// with the Go SDK and detaches with the detachKeys query parameter.
func TestResizeAndDetachThroughAPI(t *testing.T) {
	d := daemon(t)
	c, err := client.New(client.WithHost(d.Host), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{Image: "busybox", Cmd: []string{"sh"}, Tty: true, OpenStdin: true, AttachStdin: true, AttachStdout: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := res.ID
	defer c.ContainerRemove(context.Background(), id, client.ContainerRemoveOptions{Force: true})
	if _, err := c.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	att, err := c.ContainerAttach(ctx, id, client.ContainerAttachOptions{Stream: true, Stdin: true, Stdout: true, Stderr: true, DetachKeys: "ctrl-x,x"})
	if err != nil {
		t.Fatal(err)
	}
	defer att.Close()
	if _, err := c.ContainerResize(ctx, id, client.ContainerResizeOptions{Height: 33, Width: 91}); err != nil {
		t.Fatal(err)
	}
	_, _ = att.Conn.Write([]byte("stty size\n"))
	readUntil(t, att.Reader, "33 91")
	if _, err := c.ContainerResize(ctx, id, client.ContainerResizeOptions{Height: 50, Width: 132}); err != nil {
		t.Fatal(err)
	}
	_, _ = att.Conn.Write([]byte("stty size\n"))
	readUntil(t, att.Reader, "50 132")

	// The detach sequence ends the stream; the shell runs on.
	_, _ = att.Conn.Write([]byte("\x18x"))
	done := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, att.Reader); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("attach stream did not end after the detachKeys sequence")
	}
	insp, err := c.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil || !insp.Container.State.Running {
		t.Fatalf("container not running after API detach: %v", err)
	}

	ex, err := c.ExecCreate(ctx, id, client.ExecCreateOptions{TTY: true, AttachStdin: true, AttachStdout: true, Cmd: []string{"sh"}})
	if err != nil {
		t.Fatal(err)
	}
	ea, err := c.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{TTY: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ea.Close()
	// The exec's process may not exist yet right after the hijack: retry.
	var rerr error
	for i := 0; i < 50; i++ {
		if _, rerr = c.ExecResize(ctx, ex.ID, client.ExecResizeOptions{Height: 21, Width: 77}); rerr == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if rerr != nil {
		t.Fatalf("exec resize: %v", rerr)
	}
	_, _ = ea.Conn.Write([]byte("stty size\n"))
	readUntil(t, ea.Reader, "21 77")
	_, _ = ea.Conn.Write([]byte("exit 4\n"))
	_, _ = io.Copy(io.Discard, ea.Reader)
	waitFor(t, func() bool {
		in, err := c.ExecInspect(ctx, ex.ID, client.ExecInspectOptions{})
		return err == nil && !in.Running && in.ExitCode == 4
	})

	// detachKeys of an exec end its stream; the process runs on.
	ex2, err := c.ExecCreate(ctx, id, client.ExecCreateOptions{TTY: true, AttachStdin: true, AttachStdout: true, DetachKeys: "ctrl-x,x", Cmd: []string{"sh"}})
	if err != nil {
		t.Fatal(err)
	}
	ea2, err := c.ExecAttach(ctx, ex2.ID, client.ExecAttachOptions{TTY: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ea2.Close()
	_, _ = ea2.Conn.Write([]byte("echo ex-$((6+6))\n"))
	readUntil(t, ea2.Reader, "ex-12")
	_, _ = ea2.Conn.Write([]byte("\x18x"))
	done = make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, ea2.Reader); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("exec stream did not end after its detachKeys sequence")
	}
	in2, err := c.ExecInspect(ctx, ex2.ID, client.ExecInspectOptions{})
	if err != nil || !in2.Running {
		t.Errorf("exec not running after detach: %v %+v", err, in2)
	}

	_, err = c.ContainerAttach(ctx, id, client.ContainerAttachOptions{Stream: true, Stdin: true, Stdout: true, DetachKeys: "ctrl-"})
	if err == nil || !strings.Contains(err.Error(), "received 400") {
		t.Errorf("attach with bad detachKeys: %v", err)
	}
	resp, err := d.HTTPClient().Post("http://berth/v1.44/containers/"+id+"/attach?stream=1&stdin=1&stdout=1&detachKeys=ctrl-", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), "Invalid detach keys (ctrl-) provided") {
		t.Errorf("attach with bad detachKeys: %d %s", resp.StatusCode, body)
	}
	_, err = c.ExecCreate(ctx, id, client.ExecCreateOptions{Cmd: []string{"true"}, DetachKeys: "nope"})
	if err == nil || !strings.Contains(err.Error(), "Invalid escape keys (nope) provided") {
		t.Errorf("exec create with bad detachKeys: %v", err)
	}

	if _, err := c.ContainerResize(ctx, "nosuchcontainer", client.ContainerResizeOptions{Height: 1, Width: 1}); err == nil || !strings.Contains(err.Error(), "No such container") {
		t.Errorf("resize of a missing container: %v", err)
	}
}
