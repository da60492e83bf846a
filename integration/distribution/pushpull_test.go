package distribution

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/testutil"
)

// TestPushPullRoundTrip is the tutorial flow through each CLI: tag
// busybox into our registry, push, remove, run it again (which pulls).
func TestPushPullRoundTrip(t *testing.T) {
	d := daemon(t)
	reg := startRegistry(t)
	for name, cli := range testutil.CLIs(d) {
		t.Run(name, func(t *testing.T) {
			ref := fmt.Sprintf("%s/john/get-started-%s:part2", reg.Addr, name)
			mustRun(t, cli, "tag", "busybox", ref)
			out := mustRun(t, cli, "push", ref)
			for _, want := range []string{"The push refers to repository [" + reg.Addr + "/john/get-started-" + name + "]", "part2: digest: sha256:"} {
				if !strings.Contains(out, want) {
					t.Errorf("push output lacks %q:\n%s", want, out)
				}
			}
			// The first repository gets the upload; the second mounts it.
			if !strings.Contains(out, "Pushed") && !strings.Contains(out, "Mounted from john/get-started-") {
				t.Errorf("push output shows neither an upload nor a mount:\n%s", out)
			}
			// A second push finds every layer there.
			if out := mustRun(t, cli, "push", ref); !strings.Contains(out, "Layer already exists") {
				t.Errorf("second push output lacks \"Layer already exists\":\n%s", out)
			}
			mustRun(t, cli, "rmi", ref)
			out = mustRun(t, cli, "run", "--rm", ref, "echo", "hello from the registry")
			if !strings.Contains(out, "hello from the registry") {
				t.Errorf("run after pull: %s", out)
			}
			if !strings.Contains(out, "Unable to find image '"+ref+"' locally") || !strings.Contains(out, "Status: Downloaded newer image for "+ref) {
				t.Errorf("run did not report the pull like docker:\n%s", out)
			}
			digests := mustRun(t, cli, "image", "inspect", "--format", "{{json .RepoDigests}}", ref)
			if !strings.Contains(digests, reg.Addr+"/john/get-started-"+name+"@sha256:") {
				t.Errorf("RepoDigests = %s", digests)
			}
			// (A reference filter with a tag hides digests, in Docker too.)
			out = mustRun(t, cli, "images", "--digests")
			if !strings.Contains(out, "DIGEST") || !strings.Contains(out, strings.Split(strings.Trim(digests, "[]\"\n"), "@")[1]) {
				t.Errorf("images --digests lacks %s:\n%s", digests, out)
			}
			mustRun(t, cli, "rmi", ref)
		})
	}
}

// TestPushPullAllTags: push -a sends every tag of a repository, pull -a
// fetches them all.
func TestPushPullAllTags(t *testing.T) {
	d := daemon(t)
	reg := startRegistry(t)
	for name, cli := range testutil.CLIs(d) {
		t.Run(name, func(t *testing.T) {
			repo := reg.Addr + "/all/" + name
			mustRun(t, cli, "tag", "busybox", repo+":a")
			mustRun(t, cli, "tag", "busybox", repo+":b")
			out := mustRun(t, cli, "push", "-a", repo)
			if !strings.Contains(out, "a: digest:") || !strings.Contains(out, "b: digest:") {
				t.Errorf("push -a:\n%s", out)
			}
			mustRun(t, cli, "rmi", repo+":a", repo+":b")
			mustRun(t, cli, "pull", "-a", repo)
			for _, tag := range []string{"a", "b"} {
				mustRun(t, cli, "image", "inspect", repo+":"+tag)
			}
			mustRun(t, cli, "rmi", repo+":a", repo+":b")
		})
	}
}

func mustRun(t *testing.T, cli testutil.CLI, args ...string) string {
	t.Helper()
	out, err := cli(args...)
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return out
}

// TestPullPushEvents: push and pull emit Docker's image events, named by
// the reference.
func TestPullPushEvents(t *testing.T) {
	d := daemon(t)
	reg := startRegistry(t)
	ref := reg.Addr + "/events/img:1"
	since := fmt.Sprint(time.Now().Unix() - 1)
	mustRun(t, d.Run, "tag", "busybox", ref)
	mustRun(t, d.Run, "push", ref)
	mustRun(t, d.Run, "rmi", ref)
	mustRun(t, d.Run, "pull", ref)
	defer d.Run("rmi", ref)
	out := mustRun(t, d.Run, "events", "--since", since, "--until", fmt.Sprint(time.Now().Unix()+1),
		"--filter", "type=image", "--format", "{{.Action}} {{.Actor.ID}} {{index .Actor.Attributes \"name\"}}")
	for _, want := range []string{"push " + ref + " " + ref, "pull " + ref + " " + ref} {
		if !strings.Contains(out, want) {
			t.Errorf("events lack %q:\n%s", want, out)
		}
	}
}
