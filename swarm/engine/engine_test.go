package engine

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	crouter "github.com/berth-project/berth/apiserver/router/container"
	imagerouter "github.com/berth-project/berth/apiserver/router/image"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/registry"
)

// fakeDaemon serves h on a unix socket and returns an Engine for it.
func fakeDaemon(t *testing.T, h http.HandlerFunc) *Engine {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "engine.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	e, err := New(sock)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestErrorsKeepTheirClass(t *testing.T) {
	e := fakeDaemon(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/containers/gone/json":
			w.WriteHeader(404)
			io.WriteString(w, `{"message":"No such container: gone"}`)
		case "/containers/create":
			w.WriteHeader(409)
			io.WriteString(w, `{"message":"Conflict. The container name \"/x\" is already in use"}`)
		case "/containers/up/start", "/containers/down/stop":
			w.WriteHeader(304)
		case "/containers/plain/kill":
			w.WriteHeader(500)
			io.WriteString(w, "not json")
		default:
			t.Errorf("unexpected %s %s", r.Method, r.URL)
		}
	})
	ctx := context.Background()
	if _, err := e.ContainerInspect(ctx, "gone", false); !errdefs.IsNotFound(err) || !strings.Contains(err.Error(), "No such container: gone") {
		t.Errorf("inspect: %v", err)
	}
	if _, err := e.ContainerCreate(ctx, "x", &container.CreateRequest{}); !errdefs.IsConflict(err) {
		t.Errorf("create: %v", err)
	}
	if err := e.ContainerStart(ctx, "up"); err != nil {
		t.Errorf("start of a running container: %v", err)
	}
	if err := e.ContainerStop(ctx, "down", "", nil); err != nil {
		t.Errorf("stop of a stopped container: %v", err)
	}
	if err := e.ContainerKill(ctx, "plain", ""); err == nil || err.Error() != "not json" {
		t.Errorf("kill: %v", err)
	}
}

func TestRequestsAndResults(t *testing.T) {
	e := fakeDaemon(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch {
		case r.URL.Path == "/containers/create":
			if q.Get("name") != "web.1.abc" || r.Header.Get("Content-Type") != "application/json" {
				t.Errorf("create query %v", q)
			}
			io.WriteString(w, `{"Id":"c1","Warnings":["w"]}`)
		case r.URL.Path == "/containers/c1/stop":
			if q.Get("t") != "3" || q.Get("signal") != "SIGUSR1" {
				t.Errorf("stop query %v", q)
			}
			w.WriteHeader(204)
		case r.URL.Path == "/containers/c1/wait":
			if q.Get("condition") != "not-running" {
				t.Errorf("wait query %v", q)
			}
			io.WriteString(w, `{"StatusCode":3}`)
		case r.URL.Path == "/containers/c1" && r.Method == http.MethodDelete:
			if q.Get("force") != "true" || q.Get("v") != "true" {
				t.Errorf("remove query %v", q)
			}
			w.WriteHeader(204)
		case r.URL.Path == "/images/create":
			if q.Get("fromImage") != "reg:5000/app" || q.Get("tag") != "1" {
				t.Errorf("pull query %v", q)
			}
			if q.Get("tag") == "1" && r.Header.Get("X-Registry-Auth") == "" {
				io.WriteString(w, `{"status":"Pulling"}`+"\n"+`{"errorDetail":{"message":"unauthorized"},"error":"unauthorized"}`+"\n")
				return
			}
			io.WriteString(w, `{"status":"Pulling"}`+"\n"+`{"status":"Done"}`+"\n")
		default:
			t.Errorf("unexpected %s %s", r.Method, r.URL)
		}
	})
	ctx := context.Background()
	r, err := e.ContainerCreate(ctx, "web.1.abc", &container.CreateRequest{Config: &container.Config{Image: "busybox"}})
	if err != nil || r.ID != "c1" || len(r.Warnings) != 1 {
		t.Errorf("create: %+v %v", r, err)
	}
	three := 3
	if err := e.ContainerStop(ctx, "c1", "SIGUSR1", &three); err != nil {
		t.Errorf("stop: %v", err)
	}
	ch, _ := e.ContainerWait(ctx, "c1", container.WaitConditionNotRunning)
	if res := <-ch; res.Err != nil || res.StatusCode != 3 {
		t.Errorf("wait: %+v", res)
	}
	if err := e.ContainerRemove(ctx, "c1", crouter.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
		t.Errorf("remove: %v", err)
	}
	if err := e.PullImage(ctx, imagerouter.PullRequest{Image: "reg:5000/app", Tag: "1"}, io.Discard); err == nil || err.Error() != "unauthorized" {
		t.Errorf("pull refused in the stream: %v", err)
	}
	if err := e.PullImage(ctx, imagerouter.PullRequest{Image: "reg:5000/app", Tag: "1", Auth: &registry.AuthConfig{Username: "u"}}, io.Discard); err != nil {
		t.Errorf("pull: %v", err)
	}
}
