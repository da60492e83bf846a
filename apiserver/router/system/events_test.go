package system

import (
	"bytes"
	"context"
	"testing"

	"github.com/berth-project/berth/apiserver/httputils"
	eventtypes "github.com/moby/moby/api/types/events"
)

func TestEventShapes(t *testing.T) {
	msgs := []eventtypes.Message{
		{Type: eventtypes.ContainerEventType, Action: "create", Actor: eventtypes.Actor{ID: "c1", Attributes: map[string]string{"image": "busybox"}}, Scope: "local", Time: 1},
		{Type: eventtypes.ImageEventType, Action: "tag", Actor: eventtypes.Actor{ID: "sha256:a"}, Scope: "local", Time: 1},
		{Type: eventtypes.NetworkEventType, Action: "connect", Actor: eventtypes.Actor{ID: "n1"}, Scope: "local", Time: 1},
	}
	tests := []struct {
		version, accept, ctype string
		want                   string
	}{
		{"1.41", "application/json-seq", "application/json",
			`{"status":"create","id":"c1","from":"busybox","Type":"container","Action":"create","Actor":{"ID":"c1","Attributes":{"image":"busybox"}},"scope":"local","time":1}
{"status":"tag","id":"sha256:a","Type":"image","Action":"tag","Actor":{"ID":"sha256:a","Attributes":null},"scope":"local","time":1}
{"Type":"network","Action":"connect","Actor":{"ID":"n1","Attributes":null},"scope":"local","time":1}
`},
		{"1.52", "", "application/json",
			`{"Type":"container","Action":"create","Actor":{"ID":"c1","Attributes":{"image":"busybox"}},"scope":"local","time":1}
{"Type":"image","Action":"tag","Actor":{"ID":"sha256:a","Attributes":null},"scope":"local","time":1}
{"Type":"network","Action":"connect","Actor":{"ID":"n1","Attributes":null},"scope":"local","time":1}
`},
		{"1.52", "application/json-seq, application/x-ndjson", "application/json-seq",
			"\x1e" + `{"Type":"container","Action":"create","Actor":{"ID":"c1","Attributes":{"image":"busybox"}},"scope":"local","time":1}
` + "\x1e" + `{"Type":"image","Action":"tag","Actor":{"ID":"sha256:a","Attributes":null},"scope":"local","time":1}
` + "\x1e" + `{"Type":"network","Action":"connect","Actor":{"ID":"n1","Attributes":null},"scope":"local","time":1}
`},
	}
	for _, tc := range tests {
		ctx := httputils.WithVersion(context.Background(), tc.version)
		ctype, seq := eventContentType(ctx, tc.accept)
		if ctype != tc.ctype {
			t.Errorf("%s %q: content type %q, want %q", tc.version, tc.accept, ctype, tc.ctype)
		}
		var buf bytes.Buffer
		enc := eventEncoder(ctx, &buf, seq)
		for _, m := range msgs {
			if err := enc(m); err != nil {
				t.Fatal(err)
			}
		}
		if buf.String() != tc.want {
			t.Errorf("%s %q:\n got %q\nwant %q", tc.version, tc.accept, buf.String(), tc.want)
		}
	}
	for _, tc := range []struct{ version, accept, want string }{
		{"1.52", "application/jsonl", "application/json"},
		{"1.53", "application/jsonl;q=0.9", "application/jsonl"},
		{"1.56", "text/html, application/x-ndjson", "application/x-ndjson"},
	} {
		if got, _ := eventContentType(httputils.WithVersion(context.Background(), tc.version), tc.accept); got != tc.want {
			t.Errorf("%s %q: %q, want %q", tc.version, tc.accept, got, tc.want)
		}
	}
}
