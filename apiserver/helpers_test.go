package apiserver

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/apiserver/internal/fake"
	crouter "github.com/berth-project/berth/apiserver/router/container"
	irouter "github.com/berth-project/berth/apiserver/router/image"
	"github.com/berth-project/berth/apiserver/router/notimpl"
	srouter "github.com/berth-project/berth/apiserver/router/system"
	"github.com/moby/moby/client"
)

// env is a running server on a unix socket with fake backends.
type env struct {
	srv  *Server
	sock string
	c    *fake.Containers
	im   *fake.Images
	sys  *fake.System
	cli  *client.Client
	hc   *http.Client
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir, err := os.MkdirTemp("", "bt-api")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	e := &env{
		srv:  New(Config{Version: "0.0.0-test", Debug: os.Getenv("BT_DEBUG") != "", Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))}),
		sock: filepath.Join(dir, "api.sock"),
		c:    fake.NewContainers(),
		im:   fake.NewImages("busybox:latest", "myrepo/app:1", "localhost:5000/team/app:2"),
		sys:  fake.NewSystem(),
	}
	e.srv.Register(notimpl.NewRouter(), srouter.NewRouter(e.sys), crouter.NewRouter(e.c), irouter.NewRouter(e.im, e.im))
	l, err := net.Listen("unix", e.sock)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- e.srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := e.srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	e.cli, err = client.New(client.WithHost("unix://"+e.sock), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.cli.Close() })
	e.hc = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", e.sock)
	}}}
	return e
}

// do sends a raw request; path includes the query.
func (e *env) do(t *testing.T, method, path, ctype, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, "http://berth"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}
