package events

import (
	"testing"
	"time"

	"github.com/berth-project/berth/internal/filters"
	eventtypes "github.com/moby/moby/api/types/events"
)

func TestSubscribeLiveAndHistory(t *testing.T) {
	b := New()
	start := time.Now().Add(-time.Second)
	b.Log(eventtypes.ContainerEventType, "create", "abc", map[string]string{"name": "web", "image": "busybox"})
	b.Log(eventtypes.ImageEventType, "tag", "sha256:1", map[string]string{"name": "busybox:latest"})

	past, live, cancel := b.Subscribe(start, time.Time{}, filters.NewArgs([2]string{"type", "container"}))
	defer cancel()
	if len(past) != 1 || past[0].Actor.ID != "abc" {
		t.Fatalf("past = %+v", past)
	}
	b.Log(eventtypes.ContainerEventType, "start", "abc", map[string]string{"name": "web"})
	select {
	case m := <-live:
		if m.Action != "start" {
			t.Fatalf("got %v", m.Action)
		}
	case <-time.After(time.Second):
		t.Fatal("no live event")
	}
}

func TestMatch(t *testing.T) {
	m := Message{Type: eventtypes.ContainerEventType, Action: "exec_start: sh", Actor: eventtypes.Actor{ID: "abcdef", Attributes: map[string]string{"name": "web", "image": "busybox:latest"}}, Scope: "local"}
	tests := []struct {
		f    [][2]string
		want bool
	}{
		{nil, true},
		{[][2]string{{"event", "exec_start"}}, true},
		{[][2]string{{"event", "die"}}, false},
		{[][2]string{{"container", "web"}}, true},
		{[][2]string{{"container", "abc"}}, true},
		{[][2]string{{"container", "db"}}, false},
		{[][2]string{{"image", "busybox"}}, true},
		{[][2]string{{"type", "image"}}, false},
	}
	for _, tt := range tests {
		if got := Match(m, filters.NewArgs(tt.f...)); got != tt.want {
			t.Errorf("Match(%v) = %v, want %v", tt.f, got, tt.want)
		}
	}
}
