package system

import (
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/image"
	apisystem "github.com/moby/moby/api/types/system"
	"github.com/moby/moby/api/types/volume"
	"github.com/moby/moby/client"
)

func TestVersion(t *testing.T) {
	routes := map[string]http.HandlerFunc{
		"GET /version": jsonReply(apisystem.VersionResponse{
			Platform: struct{ Name string }{"berth"}, Version: "0.1.0", APIVersion: "1.56", MinAPIVersion: "1.24",
			Os: "linux", Arch: "amd64",
			Components: []apisystem.ComponentVersion{{Name: "Engine", Version: "0.1.0", Details: map[string]string{
				"ApiVersion": "1.56", "MinAPIVersion": "1.24", "GoVersion": "go1.26", "GitCommit": "abc",
				"BuildTime": "2026-01-02T03:04:05Z", "Os": "linux", "Arch": "amd64", "Experimental": "false"}}},
		}),
	}
	out, _, err, _ := run(t, routes, "", "version")
	if err != nil {
		t.Fatal(err)
	}
	want := "Client:\n" +
		" Version:           28.2.2\n" +
		" API version:       " + client.MaxAPIVersion + "\n" +
		" Go version:        " + runtime.Version() + "\n" +
		" Git commit:        berth\n" +
		" Built:             \n" +
		" OS/Arch:           linux/" + runtime.GOARCH + "\n" +
		" Context:           default\n\n" +
		"Server: berth\n" +
		" Engine:\n" +
		"  Version:          0.1.0\n" +
		"  API version:      1.56 (minimum version 1.24)\n" +
		"  Go version:       go1.26\n" +
		"  Git commit:       abc\n" +
		"  Built:            Fri Jan  2 03:04:05 2026\n" +
		"  OS/Arch:          linux/amd64\n" +
		"  Experimental:     false\n"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	out, _, _, _ = run(t, routes, "", "version", "--format", "{{.Server.Version}} {{.Client.Context}}")
	if out != "0.1.0 default\n" {
		t.Errorf("format: %q", out)
	}
	_, _, err, _ = run(t, routes, "", "version", "--format", "{{.Nope")
	if err == nil || !strings.Contains(err.Error(), "unclosed action") {
		t.Errorf("bad format: %v", err)
	}
}

func TestInfo(t *testing.T) {
	routes := map[string]http.HandlerFunc{
		"GET /info": jsonReply(apisystem.Info{
			Containers: 3, ContainersRunning: 1, ContainersStopped: 2, Images: 4, ServerVersion: "0.1.0",
			Driver: "overlay2", LoggingDriver: "json-file", CgroupDriver: "cgroupfs", CgroupVersion: "1",
			Runtimes: map[string]apisystem.RuntimeWithStatus{"runc": {}, "berth": {}}, DefaultRuntime: "berth",
			OSType: "linux", KernelVersion: "6.18", OperatingSystem: "Debian GNU/Linux 12", Architecture: "x86_64",
			NCPU: 2, MemTotal: 4 << 30, Name: "host", ID: "abc", DockerRootDir: "/var/lib/berth",
			SecurityOptions: []string{"name=seccomp,profile=builtin"},
		}),
	}
	out, _, err, _ := run(t, routes, "", "info")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"Client:\n Version:    28.2.2\n Context:    default\n Debug Mode: false\n\nServer:\n Containers: 3\n  Running: 1\n  Paused: 0\n  Stopped: 2\n Images: 4\n Server Version: 0.1.0\n Storage Driver: overlay2\n Logging Driver: json-file\n Cgroup Driver: cgroupfs\n Cgroup Version: 1\n",
		" Swarm: inactive\n Runtimes: berth runc\n Default Runtime: berth\n",
		" Security Options:\n  seccomp\n   Profile: builtin\n Kernel Version: 6.18\n",
		" CPUs: 2\n Total Memory: 4GiB\n Name: host\n ID: abc\n Docker Root Dir: /var/lib/berth\n Debug Mode: false\n",
		" Live Restore Enabled: false\n\n",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("missing %q in\n%s", line, out)
		}
	}
	out, _, _, _ = run(t, routes, "", "system", "info", "--format", "{{.Images}} {{.ServerVersion}}")
	if out != "4 0.1.0\n" {
		t.Errorf("format: %q", out)
	}
}

func TestEvents(t *testing.T) {
	ts := time.Date(2026, 11, 24, 10, 0, 0, 0, time.Local)
	routes := map[string]http.HandlerFunc{
		"GET /events": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-ndjson")
			jsonReply(events.Message{Type: "container", Action: "start", Actor: events.Actor{ID: "abc", Attributes: map[string]string{"name": "x", "image": "busybox"}}, TimeNano: ts.UnixNano()})(w, r)
		},
	}
	out, _, err, api := run(t, routes, "", "events", "--since", "1700000000", "--filter", "type=container")
	if err != nil {
		t.Fatal(err)
	}
	want := ts.Format(rfc3339NanoFixed) + " container start abc (image=busybox, name=x)\n"
	if out != want {
		t.Errorf("got %q want %q", out, want)
	}
	q := api.Reqs[len(api.Reqs)-1].URL.Query()
	if q.Get("since") != "1700000000" || !strings.Contains(q.Get("filters"), "container") {
		t.Errorf("query %v", q)
	}
	out, _, _, _ = run(t, routes, "", "system", "events", "--format", "{{.Type}}/{{.Action}}")
	if out != "container/start\n" {
		t.Errorf("format: %q", out)
	}
}

func TestDiskUsage(t *testing.T) {
	routes := map[string]http.HandlerFunc{
		"GET /system/df": jsonReply(apisystem.DiskUsage{
			ImageUsage:     &image.DiskUsage{ActiveCount: 1, TotalCount: 1, TotalSize: 5000000, Reclaimable: 0},
			ContainerUsage: &container.DiskUsage{ActiveCount: 1, TotalCount: 2, TotalSize: 400, Reclaimable: 300},
		}),
	}
	out, _, err, _ := run(t, routes, "", "system", "df")
	if err != nil {
		t.Fatal(err)
	}
	want := "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE\n" +
		"Images          1         1         5MB       0B (0%)\n" +
		"Containers      2         1         400B      300B (75%)\n" +
		"Local Volumes   0         0         0B        0B\n" +
		"Build Cache     0         0         0B        0B\n"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

// TestDiskUsageVerbose: LOCAL VOLUMES counts local volumes, not binds or
// tmpfs; volumes show LINKS and SIZE.
func TestDiskUsageVerbose(t *testing.T) {
	routes := map[string]http.HandlerFunc{
		"GET /system/df": jsonReply(apisystem.DiskUsage{
			ContainerUsage: &container.DiskUsage{TotalCount: 1, Items: []container.Summary{{
				ID: "0123456789abcdef", Image: "busybox", Command: "true", Names: []string{"/c1"}, State: "exited", Status: "Exited (0)",
				Mounts: []container.MountPoint{{Type: "volume", Driver: "local", Name: "v"}, {Type: "bind", Source: "/h"}, {Type: "tmpfs"}},
			}}},
			VolumeUsage: &volume.DiskUsage{TotalCount: 1, Items: []volume.Volume{{Name: "v", UsageData: &volume.UsageData{Size: 1000000, RefCount: 1}}}},
		}),
	}
	out, _, err, _ := run(t, routes, "", "system", "df", "-v")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^0123456789ab\s+busybox\s+"true"\s+1\s+0B\s`).MatchString(out) {
		t.Errorf("containers section:\n%s", out)
	}
	if !regexp.MustCompile(`(?m)^v\s+1\s+1MB$`).MatchString(out) {
		t.Errorf("volumes section:\n%s", out)
	}
}

func TestSystemPrune(t *testing.T) {
	routes := map[string]http.HandlerFunc{
		"POST /containers/prune": jsonReply(container.PruneReport{ContainersDeleted: []string{"c2"}, SpaceReclaimed: 300}),
		"POST /networks/prune":   errReply(501, "network prune is not implemented"),
		"POST /images/prune":     jsonReply(image.PruneReport{}),
		"POST /build/prune":      jsonReply(map[string]any{"CachesDeleted": []string{"k1"}, "SpaceReclaimed": 100}),
	}
	out, stderr, err, _ := run(t, routes, "y\n", "system", "prune", "--filter", "until=24h")
	if err != nil {
		t.Fatal(err)
	}
	want := "WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all dangling images\n  - unused build cache\n\n" +
		"  Items to be pruned will be filtered with:\n  - until=24h\n\nAre you sure you want to continue? [y/N] " +
		"Deleted Containers:\nc2\n\nDeleted build cache objects:\nk1\n\nTotal reclaimed space: 400B\n"
	if out != want {
		t.Errorf("got\n%q\nwant\n%q", out, want)
	}
	if !strings.Contains(stderr, "WARNING: skipping networks: Error response from daemon: network prune is not implemented") {
		t.Errorf("stderr %q", stderr)
	}
	_, _, err, _ = run(t, routes, "", "system", "prune", "-f", "--volumes", "--filter", "until=1h")
	if err == nil || err.Error() != `ERROR: The "until" filter is not supported with "--volumes"` {
		t.Errorf("until+volumes: %v", err)
	}
}

func TestInspect(t *testing.T) {
	routes := map[string]http.HandlerFunc{
		"GET /containers/c1/json":  jsonReply(map[string]any{"Id": "c1full", "Name": "/c1"}),
		"GET /containers/.*/json":  errReply(404, "No such container"),
		"GET /images/busybox/json": jsonReply(map[string]any{"Id": "sha256:aa"}),
		"GET /images/.*/json":      errReply(404, "No such image"),
		"GET /networks/.*":         errReply(404, "network not found"),
		"GET /volumes/.*":          errReply(501, "volumes are not implemented"),
	}
	out, _, err, _ := run(t, routes, "", "inspect", "-f", "{{.Id}}", "c1", "busybox")
	if err != nil || out != "c1full\nsha256:aa\n" {
		t.Errorf("inspect: %q %v", out, err)
	}
	out, _, err, _ = run(t, routes, "", "inspect", "x")
	if out != "[]\n" || err == nil || err.Error() != "Error: No such object: x" {
		t.Errorf("missing: %q %v", out, err)
	}
	_, _, err, _ = run(t, routes, "", "inspect", "--type", "image", "c1")
	if err == nil || !strings.Contains(err.Error(), "No such image") {
		t.Errorf("typed: %v", err)
	}
	_, _, err, _ = run(t, routes, "", "inspect", "--type", "bogus", "c1")
	if err == nil || !strings.HasPrefix(err.Error(), `unknown type: "bogus"`) {
		t.Errorf("bogus: %v", err)
	}
}
