package system

import (
	"context"
	"encoding/json"
	"io"
	"strings"

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

// eventEncoder writes one event in the shape of the request's API
// version; seq prefixes each record with RFC 7464's record separator.
func eventEncoder(ctx context.Context, w io.Writer, seq bool) func(events.Message) error {
	enc := json.NewEncoder(w)
	legacy := !httputils.VersionAtLeast(ctx, "1.52")
	return func(m events.Message) error {
		if seq {
			if _, err := w.Write([]byte{0x1e}); err != nil {
				return err
			}
		}
		if legacy {
			return enc.Encode(toLegacy(m))
		}
		return enc.Encode(m)
	}
}

// eventContentType picks the stream's media type from the Accept header:
// newline-delimited JSON under the name the client asked for
// (application/x-ndjson and application/json-seq since API 1.52,
// application/jsonl since 1.53), else application/json as before.
func eventContentType(ctx context.Context, accept string) (ctype string, seq bool) {
	if !httputils.VersionAtLeast(ctx, "1.52") {
		return "application/json", false
	}
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		switch strings.TrimSpace(mt) {
		case "application/json-seq":
			return "application/json-seq", true
		case "application/x-ndjson":
			return "application/x-ndjson", false
		case "application/jsonl":
			if httputils.VersionAtLeast(ctx, "1.53") {
				return "application/jsonl", false
			}
		}
	}
	return "application/json", false
}
