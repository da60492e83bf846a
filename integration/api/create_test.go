package api

import (
	"context"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// rejectCase is a create request dockerd refuses.
type rejectCase struct {
	name     string
	cfg      container.Config
	hc       container.HostConfig
	platform *ocispec.Platform
	is       func(error) bool
	msg      string
}

// TestCreateRejections: what dockerd refuses at create, with its class
// and wording, creating nothing. Seen against Docker 20.10.24 (Debian's
// docker.io, API 1.41):
//
//	Image "busybox:sha256:<id>"  400 invalid reference format
//	Links ["nosuch:alias"]       400 could not get container for nosuch: No such container: nosuch
//	Env [""]                     400 invalid environment variable:
//	Env ["=foo"]                 400 invalid environment variable: =foo
//	WorkingDir "tmp"             400 the working directory 'tmp' is invalid, it needs to be an absolute path
//	platform linux/arm64         404 image with reference busybox was found but does not match the
//	                                 specified platform: wanted linux/arm64, actual: linux/amd64
//	platform windows             404 ... wanted windows/amd64, actual: linux/amd64
//
// (the platform cases are checked on an amd64 host only.)
func TestCreateRejections(t *testing.T) {
	each(t, func(t *testing.T, e engine) {
		c := e.client(t)
		ctx := ctxT(t)
		img, err := c.ImageInspect(ctx, "busybox")
		if err != nil {
			t.Fatal(err)
		}
		missing := uniq(t, "nosuch")
		tests := []rejectCase{
			{name: "tagged-id", cfg: container.Config{Image: "busybox:" + img.ID}, is: cerrdefs.IsInvalidArgument, msg: "invalid reference format"},
			{name: "link", hc: container.HostConfig{Links: []string{missing + ":alias"}}, is: cerrdefs.IsInvalidArgument,
				msg: "could not get container for " + missing + ": No such container: " + missing},
			{name: "env-empty", cfg: container.Config{Env: []string{""}}, is: cerrdefs.IsInvalidArgument, msg: "invalid environment variable:"}, // the SDK trims the trailing space
			{name: "env-noname", cfg: container.Config{Env: []string{"=foo"}}, is: cerrdefs.IsInvalidArgument, msg: "invalid environment variable: =foo"},
			{name: "workdir", cfg: container.Config{WorkingDir: "tmp"}, is: cerrdefs.IsInvalidArgument,
				msg: "the working directory 'tmp' is invalid, it needs to be an absolute path"},
		}
		if img.Architecture == "amd64" {
			tests = append(tests,
				rejectCase{name: "platform-arch", platform: &ocispec.Platform{OS: "linux", Architecture: "arm64"}, is: cerrdefs.IsNotFound,
					msg: "image with reference busybox was found but does not match the specified platform: wanted linux/arm64, actual: linux/amd64"},
			)
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				cfg := tc.cfg
				if cfg.Image == "" {
					cfg.Image = "busybox"
				}
				name := uniq(t, "c")
				res, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{Name: name, Config: &cfg, HostConfig: &tc.hc, Platform: tc.platform})
				if err == nil {
					_, _ = c.ContainerRemove(context.Background(), res.ID, client.ContainerRemoveOptions{Force: true})
					t.Fatalf("created %s", res.ID)
				}
				if !tc.is(err) || !strings.Contains(err.Error(), tc.msg) {
					t.Errorf("error %T %q, want another class or %q", err, err, tc.msg)
				}
				if names(t, c)[name] {
					t.Errorf("the rejected create left container %s", name)
				}
				if _, err := c.Ping(ctx, client.PingOptions{}); err != nil {
					t.Fatalf("daemon stopped serving: %v", err)
				}
			})
		}
		// The matching platform is fine.
		create(t, c, client.ContainerCreateOptions{Name: uniq(t, "ok"), Config: &container.Config{Image: "busybox", Cmd: []string{"true"}},
			Platform: &ocispec.Platform{OS: "linux", Architecture: img.Architecture}})
	})
}

// TestCreateNormalises: Config.WorkingDir is cleaned and HostConfig.IpcMode
// gets the daemon default ("private") at create; clients before API 1.40
// that send a HostConfig without IpcMode get "shareable", the default they
// knew. Seen against Docker 20.10.24: "-w /tmp/" inspects as "/tmp",
// "/tmp/../usr/./" as "/usr"; IpcMode "private" at 1.41, "shareable" at
// 1.39 with "HostConfig":{}, "private" at 1.39 without HostConfig.
func TestCreateNormalises(t *testing.T) {
	each(t, func(t *testing.T, e engine) {
		c := e.client(t)
		for in, want := range map[string]string{"/tmp/": "/tmp", "/tmp/../usr/./": "/usr", "/": "/"} {
			id := create(t, c, client.ContainerCreateOptions{Config: &container.Config{Image: "busybox", WorkingDir: in}})
			insp, err := c.ContainerInspect(ctxT(t), id, client.ContainerInspectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if insp.Container.Config.WorkingDir != want {
				t.Errorf("WorkingDir %q inspects as %q, want %q", in, insp.Container.Config.WorkingDir, want)
			}
		}
		for _, tc := range []struct{ version, body, want string }{
			{"1.41", `{"Image":"busybox","HostConfig":{}}`, "private"},
			{"1.40", `{"Image":"busybox","HostConfig":{}}`, "private"},
			{"1.39", `{"Image":"busybox","HostConfig":{}}`, "shareable"},
			{"1.24", `{"Image":"busybox","HostConfig":{}}`, "shareable"},
			{"1.39", `{"Image":"busybox"}`, "private"},
			{"1.39", `{"Image":"busybox","HostConfig":{"IpcMode":"private"}}`, "private"},
		} {
			name := uniq(t, "ipc"+strings.ReplaceAll(tc.version, ".", ""))
			st, b := e.call(t, "POST", tc.version, "/containers/create?name="+name, tc.body)
			if st != 201 {
				t.Fatalf("%s create: %d %s", tc.version, st, b)
			}
			t.Cleanup(func() {
				_, _ = c.ContainerRemove(context.Background(), name, client.ContainerRemoveOptions{Force: true})
			})
			insp, err := c.ContainerInspect(ctxT(t), name, client.ContainerInspectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := string(insp.Container.HostConfig.IpcMode); got != tc.want {
				t.Errorf("API %s, body %s: IpcMode %q, want %q", tc.version, tc.body, got, tc.want)
			}
			_, _ = c.ContainerRemove(ctxT(t), name, client.ContainerRemoveOptions{Force: true})
		}
	})
}

// TestUpdatePidsLimitByVersion: POST /update ignores PidsLimit from
// clients before API 1.40, where it did not exist (moby's router drops it;
// Docker 20.10.24: at 1.39 the limit stays unset, at 1.40 it is 50).
func TestUpdatePidsLimitByVersion(t *testing.T) {
	each(t, func(t *testing.T, e engine) {
		c := e.client(t)
		for _, tc := range []struct {
			version string
			want    int64
		}{{"1.39", 0}, {"1.40", 50}, {"1.41", 50}} {
			id := create(t, c, client.ContainerCreateOptions{})
			st, b := e.call(t, "POST", tc.version, "/containers/"+id+"/update", `{"PidsLimit":50}`)
			if st != 200 {
				t.Fatalf("%s update: %d %s", tc.version, st, b)
			}
			insp, err := c.ContainerInspect(ctxT(t), id, client.ContainerInspectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var got int64
			if p := insp.Container.HostConfig.PidsLimit; p != nil {
				got = *p
			}
			if got != tc.want {
				t.Errorf("API %s: PidsLimit %d after update, want %d", tc.version, got, tc.want)
			}
		}
	})
}
