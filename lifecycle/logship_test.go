package lifecycle

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestShipPos(t *testing.T) {
	p := filepath.Join(t.TempDir(), "log-ship.pos")
	if ts, n := readShipPos(p); !ts.IsZero() || n != 0 {
		t.Fatalf("missing file: %v %d", ts, n)
	}
	want := time.Date(2026, 12, 7, 6, 0, 0, 123456789, time.UTC)
	writeShipPos(p, want, 3)
	if ts, n := readShipPos(p); !ts.Equal(want) || n != 3 {
		t.Fatalf("round trip: %v %d", ts, n)
	}
	_ = os.WriteFile(p, []byte("garbage"), 0o600)
	if ts, _ := readShipPos(p); !ts.IsZero() {
		t.Fatalf("garbage read as %v", ts)
	}
}
