package convert

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	gogotypes "github.com/gogo/protobuf/types"
)

func ptr[T any](v T) *T { return &v }

func ts(t *testing.T, tm time.Time) *gogotypes.Timestamp {
	t.Helper()
	p, err := gogotypes.TimestampProto(tm)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// assertEqual compares deeply and shows both sides as JSON, which is how
// the Engine API would print them.
func assertEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Fatalf("%s differs\n got: %s\nwant: %s", what, g, w)
	}
}
