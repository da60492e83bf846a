package engine

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// TestGoClient drives the daemon with the moby Go SDK.
func TestGoClient(t *testing.T) {
	d := daemon(t)
	c, err := client.New(client.WithHost(d.Host), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	res, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{Image: "busybox", Cmd: []string{"sh", "-c", "echo to-out; echo to-err >&2; exit 7"}, Labels: map[string]string{"it": "sdk"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := res.ID
	defer c.ContainerRemove(context.Background(), id, client.ContainerRemoveOptions{Force: true})
	wait := c.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	if _, err := c.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case w := <-wait.Result:
		if w.StatusCode != 7 {
			t.Errorf("exit code %d, want 7", w.StatusCode)
		}
	case err := <-wait.Error:
		t.Fatal(err)
	}
	logs, err := c.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr strings.Builder
	if _, err := stdcopy.StdCopy(&stdout, &stderr, logs); err != nil {
		t.Fatal(err)
	}
	logs.Close()
	if stdout.String() != "to-out\n" || stderr.String() != "to-err\n" {
		t.Errorf("logs kept apart: out=%q err=%q", stdout.String(), stderr.String())
	}
	insp, err := c.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if insp.Container.State.ExitCode != 7 || insp.Container.Config.Labels["it"] != "sdk" {
		t.Errorf("inspect: %+v", insp.Container.State)
	}

	_, err = c.ContainerInspect(ctx, "does-not-exist", client.ContainerInspectOptions{})
	if !cerrdefs.IsNotFound(err) || !strings.Contains(err.Error(), "No such container: does-not-exist") {
		t.Errorf("missing container: %v", err)
	}
}

// TestAPIErrors checks status codes and bodies for bad requests.
func TestAPIErrors(t *testing.T) {
	d := daemon(t)
	hc := d.HTTPClient()
	tests := []struct {
		method, path, body string
		status             int
		msg                string
	}{
		{"GET", "/v1.44/containers/nope/json", "", 404, "No such container: nope"},
		{"POST", "/v1.44/containers/create", "{not json", 400, ""},
		{"POST", "/v1.44/containers/create", `{"Image":"busybox","Cmd":"notalist"}`, 400, ""},
		// Unknown fields are ignored as dockerd does; wrong types are not.
		{"POST", "/v1.44/containers/create", `{"Image":"busybox","HostConfig":{"Memory":"lots"}}`, 400, "invalid JSON: json: cannot unmarshal string"},
		{"POST", "/v1.44/containers/create", `{"Image":"nosuch:img"}`, 404, "No such image: nosuch:img"},
		{"GET", "/v1.12/version", "", 400, ""},
		{"GET", "/v1.44/nosuchroute", "", 404, "page not found"},
		{"GET", "/_ping", "", 200, "OK"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, "http://berth"+tt.path, strings.NewReader(tt.body))
		if tt.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.msg) {
			t.Errorf("%s %s: %d %s, want %d containing %q", tt.method, tt.path, resp.StatusCode, b, tt.status, tt.msg)
		}
	}
	out, _ := d.Run("ps", "-aq")
	if strings.TrimSpace(out) != "" {
		t.Errorf("failed creates left containers: %q", out)
	}
}
