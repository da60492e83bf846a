package api

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// TestArchiveNotADirectory: a file path followed by "/" or "/." names a
// directory, so both HEAD and GET /archive fail with "not a directory".
// Docker 20.10.24 answers 500 "lstat <its rootfs>/etc/passwd/: not a
// directory" for both (berth names the path inside the container instead
// of its host path); "/etc/passwd" and "/etc/" work.
func TestArchiveNotADirectory(t *testing.T) {
	each(t, func(t *testing.T, e engine) {
		c := e.client(t)
		id := create(t, c, client.ContainerCreateOptions{})
		ctx := ctxT(t)
		for _, p := range []string{"/etc/passwd/", "/etc/passwd/."} {
			if res, err := c.CopyFromContainer(ctx, id, client.CopyFromContainerOptions{SourcePath: p}); err == nil {
				res.Content.Close()
				t.Errorf("GET archive %s: no error, got %q", p, res.Stat.Name)
			} else if !strings.Contains(err.Error(), "not a directory") {
				t.Errorf("GET archive %s: %v", p, err)
			}
			if st, b := e.call(t, "HEAD", "", "/containers/"+id+"/archive?path="+p, ""); st != 500 {
				t.Errorf("HEAD archive %s: %d %s, want 500", p, st, b)
			}
		}
		for _, p := range []string{"/etc/passwd", "/etc/", "/etc/."} {
			res, err := c.CopyFromContainer(ctx, id, client.CopyFromContainerOptions{SourcePath: p})
			if err != nil {
				t.Errorf("GET archive %s: %v", p, err)
				continue
			}
			res.Content.Close()
		}
	})
}

// TestChangesHideGeneratedFiles: a fresh container's diff is empty (the
// daemon's hosts/hostname/resolv.conf mount points are not changes, nor is
// /etc because of them); a real change under /etc shows /etc too. Docker
// 20.10.24: `run busybox true` diffs as nothing, `touch /etc/x` as
// "C /etc", "A /etc/x" (and `touch /etc` as nothing: overlayfs does not
// copy a directory up for its times).
func TestChangesHideGeneratedFiles(t *testing.T) {
	each(t, func(t *testing.T, e engine) {
		c := e.client(t)
		for _, tc := range []struct {
			cmd  []string
			want []string
		}{
			{[]string{"true"}, nil},
			{[]string{"touch", "/etc/x"}, []string{"A /etc/x", "C /etc"}},
		} {
			id := run(t, c, client.ContainerCreateOptions{Config: &container.Config{Image: "busybox", Cmd: tc.cmd}})
			wait := c.ContainerWait(ctxT(t), id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
			select {
			case <-wait.Result:
			case err := <-wait.Error:
				t.Fatal(err)
			}
			res, err := c.ContainerDiff(ctxT(t), id, client.ContainerDiffOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ch := range res.Changes {
				got = append(got, fmt.Sprintf("%s %s", ch.Kind, ch.Path))
			}
			sort.Strings(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("%v: changes %q, want %q", tc.cmd, got, tc.want)
			}
		}
	})
}

// TestKillRightAfterStart: SIGTERM sent the moment start returns reaches
// busybox top (which handles it and exits), so start must not return
// before the container's process is the user's command. Docker 20.10.24:
// 20 of 20 exited.
func TestKillRightAfterStart(t *testing.T) {
	each(t, func(t *testing.T, e engine) {
		c := e.client(t)
		for i := 0; i < 20; i++ {
			id := create(t, c, client.ContainerCreateOptions{})
			ctx := ctxT(t)
			if _, err := c.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: "SIGTERM"}); err != nil {
				t.Fatal(err)
			}
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			wait := c.ContainerWait(wctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
			select {
			case <-wait.Result:
			case err := <-wait.Error:
				cancel()
				t.Fatalf("round %d: top still running 10s after SIGTERM: %v", i, err)
			}
			cancel()
			_, _ = c.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true})
		}
	})
}

// TestStopCancelledKeepsGrace: a stop whose request is cancelled goes on
// with its grace period instead of killing at once. Docker 20.10.24: the
// container (which ignores SIGTERM) is still running 2s after the
// cancelled stop (t=30) and is killed only when the grace period ends.
func TestStopCancelledKeepsGrace(t *testing.T) {
	each(t, func(t *testing.T, e engine) {
		c := e.client(t)
		id := run(t, c, client.ContainerCreateOptions{Config: &container.Config{Image: "busybox",
			Cmd: []string{"sh", "-c", `trap "" TERM; while :; do sleep 0.1; done`}}})
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		timeout := 30
		_, err := c.ContainerStop(ctx, id, client.ContainerStopOptions{Timeout: &timeout})
		cancel()
		if err == nil {
			t.Fatal("stop returned before its grace period ended")
		}
		time.Sleep(2 * time.Second)
		insp, err := c.ContainerInspect(ctxT(t), id, client.ContainerInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !insp.Container.State.Running {
			t.Errorf("cancelled stop killed the container: %+v", insp.Container.State)
		}
	})
}

// TestListLinkNames: a linked container's Names carry the link name
// "/parent/alias", as in Docker (20.10.24: ["/first", "/second/first"]).
func TestListLinkNames(t *testing.T) {
	each(t, func(t *testing.T, e engine) {
		c := e.client(t)
		first, second := uniq(t, "first"), uniq(t, "second")
		fid := run(t, c, client.ContainerCreateOptions{Name: first})
		run(t, c, client.ContainerCreateOptions{Name: second, HostConfig: &container.HostConfig{Links: []string{first}}})
		res, err := c.ContainerList(ctxT(t), client.ContainerListOptions{All: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range res.Items {
			if s.ID == fid {
				if want := []string{"/" + first, "/" + second + "/" + first}; !slices.Equal(s.Names, want) {
					t.Errorf("Names %q, want %q", s.Names, want)
				}
				return
			}
		}
		t.Errorf("%s not listed", first)
	})
}

// TestListLatestByCreation: limit (ps -n, ps -l) counts stopped
// containers too and orders by creation with full precision, so that the
// last of several created within one second comes first. Docker 20.10.24
// lists a just-created container first for `ps -l` while others run.
func TestListLatestByCreation(t *testing.T) {
	each(t, func(t *testing.T, e engine) {
		c := e.client(t)
		run(t, c, client.ContainerCreateOptions{Name: uniq(t, "running")})
		var ids []string
		for i := 0; i < 5; i++ {
			ids = append(ids, create(t, c, client.ContainerCreateOptions{Name: uniq(t, fmt.Sprint(i))}))
		}
		slices.Reverse(ids)
		for _, n := range []int{1, 3} {
			res, err := c.ContainerList(ctxT(t), client.ContainerListOptions{Limit: n})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range res.Items {
				got = append(got, s.ID)
			}
			if !slices.Equal(got, ids[:n]) {
				t.Errorf("limit %d: %q, want the newest %q", n, got, ids[:n])
			}
		}
	})
}

// TestTopRightAfterStart: once start returns, the container runs its
// command, not the runtime's init about to exec it (docker-py's
// run-then-top saw "berth-shim init"). Docker 20.10.24: 10 of 10 list
// "sleep 300".
func TestTopRightAfterStart(t *testing.T) {
	each(t, func(t *testing.T, e engine) {
		c := e.client(t)
		for i := 0; i < 10; i++ {
			id := run(t, c, client.ContainerCreateOptions{Config: &container.Config{Image: "busybox", Cmd: []string{"sleep", "300"}}})
			top, err := c.ContainerTop(ctxT(t), id, client.ContainerTopOptions{})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, p := range top.Processes {
				found = found || strings.Contains(strings.Join(p, " "), "sleep 300")
			}
			if !found {
				t.Fatalf("round %d: top right after start: %q", i, top.Processes)
			}
			_, _ = c.ContainerRemove(ctxT(t), id, client.ContainerRemoveOptions{Force: true})
		}
	})
}
