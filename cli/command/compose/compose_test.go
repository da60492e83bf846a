package compose

import (
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/internal/fakeapi"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/volume"
	"github.com/spf13/cobra"
)

// add mounts the group as the real root does (TraverseChildren, so that
// the group's own flags before the verb are parsed).
func add(root *cobra.Command, c *command.Cli) {
	root.TraverseChildren = true
	root.AddCommand(NewCommand(c))
}

func summary(name, service, num, state, status string, ports ...container.PortSummary) container.Summary {
	return container.Summary{
		ID: strings.Repeat(name[len(name)-1:], 64), Names: []string{"/" + name}, Image: "busybox",
		Command: "sleep 1000", State: container.ContainerState(state), Status: status, Ports: ports,
		Labels: map[string]string{
			"com.docker.compose.project": "proj", "com.docker.compose.service": service,
			"com.docker.compose.container-number": num, "com.docker.compose.oneoff": "False",
			"com.docker.compose.project.config_files": "/p/compose.yaml",
		},
	}
}

var twoContainers = []container.Summary{
	summary("proj-web-1", "web", "1", "running", "Up 2 seconds",
		container.PortSummary{IP: netip.MustParseAddr("127.0.0.1"), PrivatePort: 80, PublicPort: 8080, Type: "tcp"}),
	summary("proj-db-1", "db", "1", "exited", "Exited (3) 1 second ago"),
}

func TestPsAndLs(t *testing.T) {
	routes := map[string]http.HandlerFunc{"GET /containers/json": fakeapi.JSON(twoContainers)}
	tests := []struct {
		args []string
		want []string
		not  []string
	}{
		{[]string{"compose", "-p", "proj", "ps", "-a"}, []string{
			"NAME         IMAGE     COMMAND        SERVICE   CREATED",
			`proj-db-1    busybox   "sleep 1000"   db`, "127.0.0.1:8080->80/tcp", "Exited (3) 1 second ago",
		}, nil},
		{[]string{"compose", "-p", "proj", "ps", "--services", "-a"}, []string{"db\nweb\n"}, nil},
		{[]string{"compose", "-p", "proj", "ps", "-q", "--status", "running"}, []string{strings.Repeat("1", 64)}, []string{strings.Repeat("b", 64)}},
		{[]string{"compose", "-p", "proj", "ps", "-a", "--format", "json"}, []string{`"ExitCode":3`, `"Publishers":[{"URL":"127.0.0.1","TargetPort":80,"PublishedPort":8080,"Protocol":"tcp"}]`}, nil},
		{[]string{"compose", "-p", "proj", "ps", "-a", "--format", "{{.Name}}/{{.State}}"}, []string{"proj-db-1/exited\nproj-web-1/running\n"}, nil},
		{[]string{"compose", "ls"}, []string{"NAME      STATUS                  CONFIG FILES", "proj      exited(1), running(1)   /p/compose.yaml"}, nil},
		{[]string{"compose", "ls", "-q"}, []string{"proj\n"}, nil},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, errOut, err, _ := fakeapi.Run(t, add, routes, "", tt.args...)
			if err != nil {
				t.Fatalf("%v\n%s", err, errOut)
			}
			mustHave(t, out, tt.want, tt.not)
		})
	}
}

func mustHave(t *testing.T, out string, want, not []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	for _, n := range not {
		if strings.Contains(out, n) {
			t.Errorf("output has %q:\n%s", n, out)
		}
	}
}

func TestPort(t *testing.T) {
	insp := container.InspectResponse{ID: strings.Repeat("1", 64), NetworkSettings: &container.NetworkSettings{
		Ports: network.PortMap{network.MustParsePort("80/tcp"): {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: "8080"}}},
	}}
	routes := map[string]http.HandlerFunc{
		"GET /containers/json":           fakeapi.JSON(twoContainers[:1]),
		"GET /containers/[0-9a-f]+/json": fakeapi.JSON(insp),
	}
	out, _, err, _ := fakeapi.Run(t, add, routes, "", "compose", "-p", "proj", "port", "web", "80")
	if err != nil || out != "127.0.0.1:8080\n" {
		t.Fatalf("port: %q %v", out, err)
	}
	_, _, err, _ = fakeapi.Run(t, add, routes, "", "compose", "-p", "proj", "port", "web", "81")
	if err == nil || err.Error() != "no port 81/tcp for container proj-web-1" {
		t.Fatalf("unpublished port: %v", err)
	}
}

func TestDownByName(t *testing.T) {
	routes := map[string]http.HandlerFunc{
		"GET /containers/json": fakeapi.JSON([]container.Summary{}),
		"GET /networks":        fakeapi.JSON([]network.Summary{}),
		"GET /volumes":         fakeapi.JSON(volume.ListResponse{}),
	}
	_, errOut, err, _ := fakeapi.Run(t, add, routes, "", "compose", "-p", "gone", "down", "-v")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut, `Warning: No resource found to remove for project "gone".`) {
		t.Errorf("stderr %q", errOut)
	}
}

func TestFlagErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte("services:\n  a:\n    image: busybox\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"up", "--force-recreate", "--no-recreate"}, "--force-recreate and --no-recreate are incompatible"},
		{[]string{"up", "-d", "--abort-on-container-exit"}, "--abort-on-container-exit and --detach are incompatible"},
		{[]string{"up", "--scale", "a"}, `invalid --scale option "a". Should be SERVICE=NUM`},
		{[]string{"up", "--exit-code-from", "zz"}, "no such service: zz"},
		{[]string{"down", "--rmi", "some"}, "invalid value for --rmi: some"},
		{[]string{"up", "nosuch"}, "no such service: nosuch"},
		{[]string{"config", "--format", "toml"}, `unsupported format "toml"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			args := append([]string{"compose", "--project-directory", dir}, tt.args...)
			_, _, err, api := fakeapi.Run(t, add, nil, "", args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			for _, r := range api.Reqs {
				if r.Method != http.MethodGet {
					t.Errorf("bad flags still sent %s %s", r.Method, r.URL.Path)
				}
			}
		})
	}
}

func TestConfigOutput(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte("name: cfg\nservices:\n  b:\n    image: busybox\n    volumes: [data:/d]\n  a:\n    build: .\nvolumes:\n  data:\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"config", "--services"}, "a\nb\n"},
		{[]string{"config", "--volumes"}, "data\n"},
		{[]string{"config", "--images"}, "cfg-a\nbusybox\n"},
		{[]string{"config", "-q"}, ""},
	}
	for _, tt := range tests {
		out, _, err, _ := fakeapi.Run(t, add, nil, "", append([]string{"compose", "--project-directory", dir}, tt.args...)...)
		if err != nil || out != tt.want {
			t.Errorf("%v: %q %v, want %q", tt.args, out, err, tt.want)
		}
	}
}
