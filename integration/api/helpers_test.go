package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// create makes a container and removes it at cleanup.
func create(t *testing.T, c *client.Client, opts client.ContainerCreateOptions) string {
	t.Helper()
	if opts.Config == nil {
		opts.Config = &container.Config{Image: "busybox", Cmd: []string{"top"}}
	}
	res, err := c.ContainerCreate(ctxT(t), opts)
	if err != nil {
		t.Fatalf("create %s: %v", opts.Name, err)
	}
	t.Cleanup(func() {
		_, _ = c.ContainerRemove(context.Background(), res.ID, client.ContainerRemoveOptions{Force: true})
	})
	return res.ID
}

// run creates and starts a container.
func run(t *testing.T, c *client.Client, opts client.ContainerCreateOptions) string {
	t.Helper()
	id := create(t, c, opts)
	if _, err := c.ContainerStart(ctxT(t), id, client.ContainerStartOptions{}); err != nil {
		t.Fatalf("start: %v", err)
	}
	return id
}

// names lists the names of every container, to check that a rejected
// request created none.
func names(t *testing.T, c *client.Client) map[string]bool {
	t.Helper()
	res, err := c.ContainerList(ctxT(t), client.ContainerListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, s := range res.Items {
		for _, n := range s.Names {
			out[strings.TrimPrefix(n, "/")] = true
		}
	}
	return out
}

// call sends a raw request at an API version ("" for none) and returns
// status and body.
func (e engine) call(t *testing.T, method, version, path, body string) (int, []byte) {
	t.Helper()
	p := path
	if version != "" {
		p = "/v" + version + path
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctxT(t), method, "http://engine"+p, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.http().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, p, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// message is the "message" of an error body.
func message(b []byte) string {
	var m struct{ Message string }
	_ = json.Unmarshal(b, &m)
	return m.Message
}
