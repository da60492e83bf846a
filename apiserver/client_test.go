package apiserver

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/apiserver/internal/fake"
	crouter "github.com/berth-project/berth/apiserver/router/container"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	eventtypes "github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestContainerCRUDWithClient(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	res, err := e.cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name:       "web",
		Config:     &container.Config{Image: "busybox", Cmd: []string{"sh"}, Labels: map[string]string{"a": "b"}},
		HostConfig: &container.HostConfig{AutoRemove: true},
		Platform:   &ocispec.Platform{OS: "linux", Architecture: "amd64"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.ID == "" {
		t.Fatalf("create = %+v", res)
	}
	insp, err := e.cli.ContainerInspect(ctx, "web", client.ContainerInspectOptions{Size: true})
	if err != nil {
		t.Fatal(err)
	}
	if insp.Container.ID != res.ID || insp.Container.Config.Labels["a"] != "b" || !insp.Container.HostConfig.AutoRemove || insp.Container.SizeRw == nil {
		t.Fatalf("inspect = %+v", insp.Container)
	}
	e.c.Add(&fake.Container{ID: strings.Repeat("f", 64), Name: "other"})
	for _, tt := range []struct {
		opts client.ContainerListOptions
		want int
	}{
		{client.ContainerListOptions{}, 0},
		{client.ContainerListOptions{All: true}, 2},
		{client.ContainerListOptions{All: true, Limit: 1}, 1},
		{client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("name", "web")}, 1},
	} {
		list, err := e.cli.ContainerList(ctx, tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Items) != tt.want {
			t.Errorf("list %+v: %d items, want %d", tt.opts, len(list.Items), tt.want)
		}
	}
	if _, err := e.cli.ContainerStart(ctx, "web", client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = e.cli.ContainerRemove(ctx, "web", client.ContainerRemoveOptions{})
	if !cerrdefs.IsConflict(err) || !strings.Contains(err.Error(), "container is running") {
		t.Fatalf("remove running: %v", err)
	}
	if _, err := e.cli.ContainerRemove(ctx, "web", client.ContainerRemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	_, err = e.cli.ContainerInspect(ctx, "web", client.ContainerInspectOptions{})
	if !cerrdefs.IsNotFound(err) || !strings.Contains(err.Error(), "No such container: web") {
		t.Fatalf("inspect removed: %v", err)
	}
}

func TestWaitFlushesHeadersFirst(t *testing.T) {
	e := newEnv(t)
	e.c.Add(&fake.Container{ID: strings.Repeat("1", 64), Name: "w", Running: true})
	resp := e.do(t, "POST", "/containers/w/wait?condition=not-running", "", "")
	// Do returned: the status line and headers arrived before the exit.
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if err := e.c.ContainerKill(context.Background(), "w", "KILL"); err != nil {
		t.Fatal(err)
	}
	var wr container.WaitResponse
	if err := json.NewDecoder(resp.Body).Decode(&wr); err != nil || wr.StatusCode != 137 {
		t.Fatalf("wait = %+v, %v", wr, err)
	}

	// Through the client too.
	e.c.Add(&fake.Container{ID: strings.Repeat("2", 64), Name: "w2", Running: true})
	wres := e.cli.ContainerWait(context.Background(), "w2", client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	time.Sleep(50 * time.Millisecond)
	_ = e.c.ContainerStop(context.Background(), "w2", "", nil)
	select {
	case r := <-wres.Result:
		if r.StatusCode != 143 {
			t.Fatalf("wait = %+v", r)
		}
	case err := <-wres.Error:
		t.Fatal(err)
	case <-time.After(5 * time.Second):
		t.Fatal("wait did not return")
	}
}

func TestAttachHijackMultiplexed(t *testing.T) {
	e := newEnv(t)
	e.c.Add(&fake.Container{ID: strings.Repeat("a", 64), Name: "att", Running: true})
	res, err := e.cli.ContainerAttach(context.Background(), "att", client.ContainerAttachOptions{Stream: true, Stdin: true, Stdout: true, Stderr: true})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	if mt, _ := res.MediaType(); mt != "application/vnd.docker.multiplexed-stream" {
		t.Errorf("media type %q", mt)
	}
	if _, err := io.WriteString(res.Conn, "hello\nworld\n"); err != nil {
		t.Fatal(err)
	}
	if err := res.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if _, err := stdcopy.StdCopy(&stdout, &stderr, res.Reader); err != nil {
		t.Fatal(err)
	}
	if stdout.String() != "hello\nworld\n" || stderr.String() != "err:hello\nerr:world\n" {
		t.Fatalf("stdout %q stderr %q", stdout.String(), stderr.String())
	}
}

func TestAttachTTYRawAndNoUpgrade(t *testing.T) {
	e := newEnv(t)
	e.c.Add(&fake.Container{ID: strings.Repeat("b", 64), Name: "tty", Running: true, Config: container.Config{Tty: true}})
	res, err := e.cli.ContainerAttach(context.Background(), "tty", client.ContainerAttachOptions{Stream: true, Stdin: true, Stdout: true})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	if mt, _ := res.MediaType(); mt != "application/vnd.docker.raw-stream" {
		t.Errorf("media type %q", mt)
	}
	io.WriteString(res.Conn, "raw\n")
	res.CloseWrite()
	out, err := io.ReadAll(res.Reader)
	if err != nil || string(out) != "raw\n" {
		t.Fatalf("out %q, %v", out, err)
	}

	// Without Upgrade headers the reply is a plain 200 and the stream follows.
	resp := e.do(t, "POST", "/containers/tty/attach?stream=1&stdout=1", "", "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.docker.raw-stream" {
		t.Fatalf("no-upgrade attach: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestAttachClientHangupCancelsBackend(t *testing.T) {
	e := newEnv(t)
	e.c.Add(&fake.Container{ID: strings.Repeat("c", 64), Name: "hang", Running: true})
	res, err := e.cli.ContainerAttach(context.Background(), "hang", client.ContainerAttachOptions{Stream: true, Stdout: true})
	if err != nil {
		t.Fatal(err)
	}
	res.Close()
	select {
	case <-e.c.AttachCtxDone:
	case <-time.After(5 * time.Second):
		t.Fatal("backend context not cancelled after client hang-up")
	}
	// The daemon is still healthy.
	if _, err := e.cli.Ping(context.Background(), client.PingOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestExecStart(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.c.Add(&fake.Container{ID: strings.Repeat("e", 64), Name: "ex", Running: true})
	for _, tty := range []bool{false, true} {
		cr, err := e.cli.ExecCreate(ctx, "ex", client.ExecCreateOptions{Cmd: []string{"echo", "hi", "there"}, AttachStdout: true, AttachStderr: true, TTY: tty})
		if err != nil {
			t.Fatal(err)
		}
		att, err := e.cli.ExecAttach(ctx, cr.ID, client.ExecAttachOptions{TTY: tty})
		if err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		if tty {
			_, err = io.Copy(&stdout, att.Reader)
		} else {
			_, err = stdcopy.StdCopy(&stdout, &stderr, att.Reader)
		}
		att.Close()
		if err != nil {
			t.Fatal(err)
		}
		wantOut, wantErr := "hi there\n", "exec-stderr\n"
		if tty {
			wantOut, wantErr = "hi there\nexec-stderr\n", ""
		}
		if stdout.String() != wantOut || stderr.String() != wantErr {
			t.Errorf("tty=%v: stdout %q stderr %q", tty, stdout.String(), stderr.String())
		}
		insp, err := e.cli.ExecInspect(ctx, cr.ID, client.ExecInspectOptions{})
		if err != nil || insp.ExitCode != 0 {
			t.Fatalf("exec inspect: %+v %v", insp, err)
		}
	}
	cr, err := e.cli.ExecCreate(ctx, "ex", client.ExecCreateOptions{Cmd: []string{"true"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.cli.ExecStart(ctx, cr.ID, client.ExecStartOptions{Detach: true}); err != nil {
		t.Fatal(err)
	}
}

func TestLogsFraming(t *testing.T) {
	e := newEnv(t)
	base := time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC)
	logs := []crouter.LogMessage{
		{Stream: "stdout", Line: []byte("one\n"), Time: base},
		{Stream: "stderr", Line: []byte("two\n"), Time: base.Add(time.Second), Attrs: map[string]string{"b": "x y", "a": "1"}},
		{Stream: "stdout", Line: []byte("three\n"), Time: base.Add(2 * time.Second)},
	}
	e.c.Add(&fake.Container{ID: strings.Repeat("d", 64), Name: "lg", Logs: logs})
	e.c.Add(&fake.Container{ID: strings.Repeat("9", 64), Name: "lgtty", Logs: logs, Config: container.Config{Tty: true}})
	tests := []struct {
		name      string
		opts      client.ContainerLogsOptions
		tty       bool
		out, errS string
	}{
		{"both", client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true}, false, "one\nthree\n", "two\n"},
		{"stdout only", client.ContainerLogsOptions{ShowStdout: true}, false, "one\nthree\n", ""},
		{"timestamps", client.ContainerLogsOptions{ShowStdout: true, Timestamps: true, Tail: "1"}, false, "2024-01-02T03:04:07.000000006Z three\n", ""},
		{"details", client.ContainerLogsOptions{ShowStderr: true, Details: true}, false, "", "a=1,b=x+y two\n"},
		{"since until", client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Since: "1704164646", Until: "1704164646.5"}, false, "", "two\n"},
		{"tail all", client.ContainerLogsOptions{ShowStdout: true, Tail: "all"}, false, "one\nthree\n", ""},
		{"tty raw", client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true}, true, "one\ntwo\nthree\n", ""},
	}
	for _, tt := range tests {
		name := "lg"
		if tt.tty {
			name = "lgtty"
		}
		rc, err := e.cli.ContainerLogs(context.Background(), name, tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		if tt.tty {
			_, err = io.Copy(&stdout, rc)
		} else {
			_, err = stdcopy.StdCopy(&stdout, &stderr, rc)
		}
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if stdout.String() != tt.out || stderr.String() != tt.errS {
			t.Errorf("%s: stdout %q stderr %q, want %q %q", tt.name, stdout.String(), stderr.String(), tt.out, tt.errS)
		}
	}
}

func TestImagesWithSlashesAndProgress(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, ref := range []string{"myrepo/app:1", "localhost:5000/team/app:2", "busybox"} {
		insp, err := e.cli.ImageInspect(ctx, ref)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if insp.RepoTags[0] != ref {
			t.Errorf("inspect %s = %v", ref, insp.RepoTags)
		}
		if _, err := e.cli.ImageHistory(ctx, ref); err != nil {
			t.Errorf("history %s: %v", ref, err)
		}
	}
	if _, err := e.cli.ImageTag(ctx, client.ImageTagOptions{Source: "myrepo/app:1", Target: "other/repo:v2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cli.ImageInspect(ctx, "other/repo:v2"); err != nil {
		t.Fatal(err)
	}
	del, err := e.cli.ImageRemove(ctx, "other/repo:v2", client.ImageRemoveOptions{})
	if err != nil || len(del.Items) != 1 || del.Items[0].Untagged != "other/repo:v2" {
		t.Fatalf("remove: %+v %v", del, err)
	}
	_, err = e.cli.ImageInspect(ctx, "nope/nope:1")
	if !cerrdefs.IsNotFound(err) {
		t.Fatalf("inspect missing: %v", err)
	}

	// Load streams progress as JSON messages.
	lr, err := e.cli.ImageLoad(ctx, strings.NewReader("x/y:1 z:2"), client.ImageLoadWithQuiet(false))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(lr)
	lr.Close()
	if !strings.Contains(string(body), `"Loaded image: x/y:1\n"`) || !strings.Contains(string(body), `"status":"Loading layer"`) {
		t.Fatalf("load body %s", body)
	}
	if _, err := e.cli.ImageInspect(ctx, "x/y:1"); err != nil {
		t.Fatal(err)
	}
	// An error before any output is a proper status; after, it is in-band.
	_, err = e.cli.ImageLoad(ctx, strings.NewReader("BROKEN"))
	if !cerrdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), "archive is broken") {
		t.Fatalf("broken load: %v", err)
	}
	resp := e.do(t, "POST", "/images/load?quiet=0", "application/x-tar", "ok:1 BROKEN")
	body, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || !strings.Contains(string(body), `{"errorDetail":{"message":"archive is broken"},"error":"archive is broken"}`) {
		t.Fatalf("in-band error: %d %s", resp.StatusCode, body)
	}

	// Import from the request body.
	resp = e.do(t, "POST", "/images/create?fromSrc=-&repo=imp/x&tag=t&message=msg&changes=CMD+sh&changes=ENV+A%3D1", "application/x-tar", "ROOTFS")
	body, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"id":"CMD sh;ENV A=1|msg|ROOTFS"`) {
		t.Fatalf("import: %d %s", resp.StatusCode, body)
	}

	// Save.
	for _, path := range []string{"/images/myrepo/app:1/get", "/images/get?names=busybox&names=myrepo/app:1"} {
		resp = e.do(t, "GET", path, "", "")
		body, _ = io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-tar" || !strings.HasPrefix(string(body), "TAR:") {
			t.Errorf("%s: %d %s", path, resp.StatusCode, body)
		}
	}
	resp = e.do(t, "GET", "/images/get?names=missing", "", "")
	if resp.StatusCode != 404 {
		t.Errorf("save missing: %d", resp.StatusCode)
	}

	// Push: output then an in-band error.
	resp = e.do(t, "POST", "/images/myrepo/app:1/push?tag=1", "", "")
	body, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "The push refers to") || !strings.Contains(string(body), `"error":"registry unreachable"`) {
		t.Errorf("push: %d %s", resp.StatusCode, body)
	}
}

func TestEventsSinceUntil(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	start := time.Now().Add(-time.Second)
	e.sys.Bus.Log(eventtypes.ContainerEventType, "create", "abc", map[string]string{"name": "web"})
	e.sys.Bus.Log(eventtypes.ImageEventType, "tag", "sha256:1", map[string]string{"name": "busybox:latest"})

	// until in the past: history only, then the stream ends.
	res := e.cli.Events(ctx, client.EventsListOptions{Since: ts(start), Until: ts(time.Now()), Filters: make(client.Filters).Add("type", "container")})
	var got []eventtypes.Message
	for done := false; !done; {
		select {
		case m := <-res.Messages:
			got = append(got, m)
		case err := <-res.Err:
			if err != io.EOF {
				t.Fatal(err)
			}
			done = true
		case <-time.After(5 * time.Second):
			t.Fatal("history stream did not end")
		}
	}
	if len(got) != 1 || got[0].Actor.ID != "abc" {
		t.Fatalf("history = %+v", got)
	}

	// Live: an event logged after subscribing arrives.
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	res = e.cli.Events(lctx, client.EventsListOptions{Filters: make(client.Filters).Add("event", "start")})
	deadline := time.After(5 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case m := <-res.Messages:
			if m.Action != "start" || m.Actor.ID != "live" {
				t.Fatalf("live = %+v", m)
			}
			return
		case err := <-res.Err:
			t.Fatal(err)
		case <-tick.C:
			// Keep logging until the subscription is surely in place.
			e.sys.Bus.Log(eventtypes.ContainerEventType, "start", "live", nil)
		case <-deadline:
			t.Fatal("no live event")
		}
	}
}

// ts renders Docker's since/until wire format.
func ts(t time.Time) string { return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond()) }

func TestArchiveCommitAndMisc(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.c.Add(&fake.Container{ID: strings.Repeat("7", 64), Name: "ar", Running: true})

	st, err := e.cli.ContainerStatPath(ctx, "ar", client.ContainerStatPathOptions{Path: "/etc/hostname"})
	if err != nil || st.Stat.Name != "hostname" || st.Stat.Size != 5 {
		t.Fatalf("stat: %+v %v", st, err)
	}
	resp := e.do(t, "HEAD", "/containers/ar/archive?path=/etc/hostname", "", "")
	raw, _ := base64.StdEncoding.DecodeString(resp.Header.Get("X-Docker-Container-Path-Stat"))
	if resp.StatusCode != 200 || !strings.Contains(string(raw), `"name":"hostname"`) {
		t.Fatalf("HEAD archive: %d %s", resp.StatusCode, raw)
	}
	cp, err := e.cli.CopyFromContainer(ctx, "ar", client.CopyFromContainerOptions{SourcePath: "/etc/hostname"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(cp.Content)
	cp.Content.Close()
	if string(b) != "TAR:/etc/hostname" || cp.Stat.Mode != 0o644 {
		t.Fatalf("copy from: %q %+v", b, cp.Stat)
	}
	if _, err := e.cli.CopyToContainer(ctx, "ar", client.CopyToContainerOptions{DestinationPath: "/tmp", Content: strings.NewReader("tar")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.cli.ContainerStatPath(ctx, "ar", client.ContainerStatPathOptions{Path: "/nope"})
	if !cerrdefs.IsNotFound(err) {
		t.Fatalf("stat missing: %v", err)
	}

	cres, err := e.cli.ContainerCommit(ctx, "ar", client.ContainerCommitOptions{Reference: "me/img:v1", Comment: "c", Author: "a", Changes: []string{"CMD sh", "ENV A=1"}, Config: &container.Config{Env: []string{"X=1"}}})
	if err != nil || !strings.HasPrefix(cres.ID, "sha256:") {
		t.Fatalf("commit: %+v %v", cres, err)
	}
	lc := e.c.LastCommit
	if lc.Repo != "docker.io/me/img" || lc.Tag != "v1" || lc.Comment != "c" || lc.Author != "a" || !lc.Pause || len(lc.Changes) != 2 || lc.Config == nil || lc.Config.Env[0] != "X=1" {
		t.Fatalf("commit opts = %+v", lc)
	}

	top, err := e.cli.ContainerTop(ctx, "ar", client.ContainerTopOptions{Arguments: []string{"aux"}})
	if err != nil || top.Processes[0][1] != "sh aux" {
		t.Fatalf("top: %+v %v", top, err)
	}
	if _, err := e.cli.ContainerRename(ctx, "ar", client.ContainerRenameOptions{NewName: "ar2"}); err != nil {
		t.Fatal(err)
	}
	resp = e.do(t, "GET", "/containers/ar2/export", "", "")
	b, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != "EXPORT:ar2" || resp.Header.Get("Content-Type") != "application/x-tar" {
		t.Fatalf("export: %d %q", resp.StatusCode, b)
	}
	resp = e.do(t, "GET", "/containers/zz/export", "", "")
	if resp.StatusCode != 404 {
		t.Fatalf("export missing: %d", resp.StatusCode)
	}
}
