package system

import (
	"context"
	"encoding/json"

	"github.com/berth-project/berth/apiserver/httputils"
	"github.com/berth-project/berth/events"
	eventtypes "github.com/moby/moby/api/types/events"
)

// legacyMessage is an event as API versions before 1.52 send it: with the
// status, id and from fields of the pre-1.22 format in front, which
// `docker events --format '{{.Status}}'` (CLI 28 at API 1.51) and older
// clients still read. dockerd fills them for container and image events.
type legacyMessage struct {
	Status string `json:"status,omitempty"`
	ID     string `json:"id,omitempty"`
	From   string `json:"from,omitempty"`
	events.Message
}

func toLegacy(m events.Message) legacyMessage {
	out := legacyMessage{Message: m}
	switch m.Type {
	case eventtypes.ContainerEventType:
		out.Status, out.ID, out.From = string(m.Action), m.Actor.ID, m.Actor.Attributes["image"]
	case eventtypes.ImageEventType:
		out.Status, out.ID = string(m.Action), m.Actor.ID
	}
	return out
}

// eventEncoder writes one event in the shape of the request's API version.
func eventEncoder(ctx context.Context, enc *json.Encoder) func(events.Message) error {
	if httputils.VersionAtLeast(ctx, "1.52") {
		return func(m events.Message) error { return enc.Encode(m) }
	}
	return func(m events.Message) error { return enc.Encode(toLegacy(m)) }
}
