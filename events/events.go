// Package events is the daemon's event bus: every state change of a
// container, image, network or volume is logged here and fanned out to
// /events subscribers. A bounded ring keeps recent history so that
// `docker events --since` can replay it.
package events

import (
	"strings"
	"sync"
	"time"

	"github.com/berth-project/berth/internal/filters"
	eventtypes "github.com/moby/moby/api/types/events"
)

// Message is the Engine API event.
type Message = eventtypes.Message

// Time is an optional point in time; zero means unbounded.
type Time = time.Time

const historySize = 1024

// Bus fans events out to subscribers.
type Bus struct {
	mu      sync.Mutex
	history []Message
	subs    map[*subscriber]struct{}
	// OnLog, when set before use, is called for every event (the
	// daemon's metrics count them).
	OnLog func(Message)
}

type subscriber struct {
	ch chan Message
	f  filters.Args
}

// New returns an empty bus.
func New() *Bus { return &Bus{subs: map[*subscriber]struct{}{}} }

// Log records an event. attrs become Actor.Attributes.
func (b *Bus) Log(typ eventtypes.Type, action eventtypes.Action, id string, attrs map[string]string) {
	now := time.Now().UTC()
	m := Message{
		Type:     typ,
		Action:   action,
		Actor:    eventtypes.Actor{ID: id, Attributes: attrs},
		Scope:    "local",
		Time:     now.Unix(),
		TimeNano: now.UnixNano(),
	}
	if b.OnLog != nil {
		b.OnLog(m)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.history) >= historySize {
		copy(b.history, b.history[1:])
		b.history = b.history[:len(b.history)-1]
	}
	b.history = append(b.history, m)
	for s := range b.subs {
		if Match(m, s.f) {
			select {
			case s.ch <- m:
			default: // a slow reader loses events rather than stalling the daemon
			}
		}
	}
}

// Subscribe returns matching past events within [since, until] and, when
// until is zero, a live channel. cancel must be called to release it.
func (b *Bus) Subscribe(since, until Time, f filters.Args) ([]Message, <-chan Message, func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var past []Message
	if !since.IsZero() {
		for _, m := range b.history {
			t := time.Unix(0, m.TimeNano)
			if t.Before(since) || (!until.IsZero() && t.After(until)) {
				continue
			}
			if Match(m, f) {
				past = append(past, m)
			}
		}
	}
	if !until.IsZero() && !until.After(time.Now()) {
		return past, nil, func() {}
	}
	s := &subscriber{ch: make(chan Message, 256), f: f}
	b.subs[s] = struct{}{}
	var once sync.Once
	return past, s.ch, func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs, s)
			b.mu.Unlock()
		})
	}
}

// Match applies Docker's event filters: type, event/action, container,
// image, label, network, volume, daemon, scope.
func Match(m Message, f filters.Args) bool {
	if !f.ExactMatch("type", string(m.Type)) {
		return false
	}
	if f.Contains("event") && !matchAction(f.Get("event"), string(m.Action)) {
		return false
	}
	if f.Contains("action") && !matchAction(f.Get("action"), string(m.Action)) {
		return false
	}
	if !f.ExactMatch("scope", m.Scope) {
		return false
	}
	if !f.MatchKVList("label", m.Actor.Attributes) {
		return false
	}
	name := m.Actor.Attributes["name"]
	for _, kind := range []eventtypes.Type{eventtypes.ContainerEventType, eventtypes.NetworkEventType, eventtypes.VolumeEventType} {
		key := string(kind)
		if f.Contains(key) {
			if m.Type != kind {
				return false
			}
			if !f.ExactMatch(key, name) && !f.FuzzyMatch(key, m.Actor.ID) {
				return false
			}
		}
	}
	if f.Contains("image") {
		img := m.Actor.Attributes["image"]
		if m.Type == eventtypes.ImageEventType {
			img = m.Actor.ID
			if n := m.Actor.Attributes["name"]; n != "" && f.ExactMatch("image", n) {
				return true
			}
		}
		if !f.ExactMatch("image", img) && !f.ExactMatch("image", strings.TrimSuffix(img, ":latest")) {
			return false
		}
	}
	return true
}

func matchAction(want []string, action string) bool {
	for _, w := range want {
		// "exec_start: sh -c ..." matches "exec_start"
		if action == w || strings.HasPrefix(action, w+":") {
			return true
		}
	}
	return false
}
