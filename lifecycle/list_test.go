package lifecycle

import (
	"testing"
	"time"

	containerrouter "github.com/berth-project/berth/apiserver/router/container"
	"github.com/berth-project/berth/container"
	"github.com/berth-project/berth/internal/filters"
	containertypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

func TestStatusAt(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	tests := []struct {
		name string
		st   container.State
		want string
	}{
		{"created", container.State{Status: containertypes.StateCreated}, "Created"},
		{"up less than a second", container.State{Status: containertypes.StateRunning, StartedAt: ago(300 * time.Millisecond)}, "Up Less than a second"},
		{"up 1 second", container.State{Status: containertypes.StateRunning, StartedAt: ago(time.Second)}, "Up 1 second"},
		{"up 2 seconds", container.State{Status: containertypes.StateRunning, StartedAt: ago(2 * time.Second)}, "Up 2 seconds"},
		{"up about a minute", container.State{Status: containertypes.StateRunning, StartedAt: ago(70 * time.Second)}, "Up About a minute"},
		{"up hours", container.State{Status: containertypes.StateRunning, StartedAt: ago(3 * time.Hour)}, "Up 3 hours"},
		{"paused", container.State{Status: containertypes.StatePaused, StartedAt: ago(5 * time.Minute)}, "Up 5 minutes (Paused)"},
		{"exited 0", container.State{Status: containertypes.StateExited, ExitCode: 0, StartedAt: ago(time.Hour), FinishedAt: ago(3 * time.Minute)}, "Exited (0) 3 minutes ago"},
		{"exited 137", container.State{Status: containertypes.StateExited, ExitCode: 137, FinishedAt: ago(2 * 24 * time.Hour)}, "Exited (137) 2 days ago"},
		{"exited without finish time", container.State{Status: containertypes.StateExited}, "Created"},
		{"dead", container.State{Status: containertypes.StateDead, FinishedAt: ago(time.Minute)}, "Dead"},
		{"removing", container.State{Status: containertypes.StateRunning, Removing: true, StartedAt: ago(time.Minute)}, "Removal In Progress"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := statusAt(tt.st, now); got != tt.want {
				t.Errorf("statusAt = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestListFilters(t *testing.T) {
	tcp80 := network.MustParsePort("80/tcp")
	udp53 := network.MustParsePort("53/udp")
	running := &container.Container{
		ID: "3f4e5d6c7b8a99aa", Name: "/web", Image: "busybox", ImageID: "sha256:aaa",
		Config:     &containertypes.Config{Labels: map[string]string{"tier": "front", "env": "prod"}, ExposedPorts: network.PortSet{tcp80: {}, udp53: {}}},
		HostConfig: &containertypes.HostConfig{NetworkMode: "default"},
		State:      container.State{Status: containertypes.StateRunning},
		Ports:      network.PortMap{tcp80: {{HostPort: "8080"}}},
	}
	exited := &container.Container{
		ID: "0123456789abcdef", Name: "/db-1", Image: "other", ImageID: "sha256:bbb",
		Config:     &containertypes.Config{Labels: map[string]string{"tier": "back"}},
		HostConfig: &containertypes.HostConfig{NetworkMode: "none"},
		State:      container.State{Status: containertypes.StateExited, ExitCode: 3},
	}
	created := &container.Container{
		ID: "fedcba9876543210", Name: "/fresh", Image: "busybox", ImageID: "sha256:aaa",
		Config:     &containertypes.Config{},
		HostConfig: &containertypes.HostConfig{NetworkMode: "host"},
		State:      container.State{Status: containertypes.StateCreated},
	}
	all := []*container.Container{running, exited, created}
	tests := []struct {
		name      string
		all       bool
		filters   [][2]string
		ancestors map[string]bool
		want      []string // names that match
	}{
		{"running only by default", false, nil, nil, []string{"/web"}},
		{"-a", true, nil, nil, []string{"/web", "/db-1", "/fresh"}},
		{"status implies all", false, [][2]string{{"status", "exited"}}, nil, []string{"/db-1"}},
		{"status created", false, [][2]string{{"status", "created"}}, nil, []string{"/fresh"}},
		{"two statuses", false, [][2]string{{"status", "created"}, {"status", "running"}}, nil, []string{"/web", "/fresh"}},
		{"name substring", true, [][2]string{{"name", "db"}}, nil, []string{"/db-1"}},
		{"name regexp with slash", true, [][2]string{{"name", "^/web$"}}, nil, []string{"/web"}},
		{"name anchored without slash", true, [][2]string{{"name", "^web"}}, nil, nil},
		{"id prefix", true, [][2]string{{"id", "0123"}}, nil, []string{"/db-1"}},
		{"id anywhere", true, [][2]string{{"id", "9876"}}, nil, []string{"/fresh"}},
		{"label key", true, [][2]string{{"label", "tier"}}, nil, []string{"/web", "/db-1"}},
		{"label key=value", true, [][2]string{{"label", "tier=back"}}, nil, []string{"/db-1"}},
		{"labels all must match", true, [][2]string{{"label", "tier=front"}, {"label", "env=dev"}}, nil, nil},
		{"exited code", true, [][2]string{{"exited", "3"}}, nil, []string{"/db-1"}},
		{"ancestor by ID", true, nil, map[string]bool{"sha256:aaa": true}, []string{"/web", "/fresh"}},
		{"ancestor by name", true, nil, map[string]bool{"ref:other": true}, []string{"/db-1"}},
		{"network bridge is default", true, [][2]string{{"network", "bridge"}}, nil, []string{"/web"}},
		{"network host", true, [][2]string{{"network", "host"}}, nil, []string{"/fresh"}},
		{"publish host port", true, [][2]string{{"publish", "8080"}}, nil, []string{"/web"}},
		{"publish port/proto", true, [][2]string{{"publish", "8080/udp"}}, nil, nil},
		{"expose", true, [][2]string{{"expose", "53/udp"}}, nil, []string{"/web"}},
		{"health none", true, [][2]string{{"health", "none"}}, nil, []string{"/web", "/db-1", "/fresh"}},
		{"health healthy", true, [][2]string{{"health", "healthy"}}, nil, nil},
		{"is-task", true, [][2]string{{"is-task", "true"}}, nil, nil},
	}
	s := &Service{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := filters.NewArgs(tt.filters...)
			if err := f.Validate(listFilters...); err != nil {
				t.Fatal(err)
			}
			var exitCodes []int
			if f.Contains("exited") {
				exitCodes = []int{3}
			}
			var got []string
			for _, c := range all {
				if s.matches(c, containerrouter.ListOptions{All: tt.all, Filters: f}, f, exitCodes, tt.ancestors) {
					got = append(got, c.Name)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("matched %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("matched %v, want %v", got, tt.want)
				}
			}
		})
	}
	if err := filters.NewArgs([2]string{"colour", "red"}).Validate(listFilters...); err == nil {
		t.Error("an unknown ps filter was accepted")
	}
}
