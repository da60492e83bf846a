package volume

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Volumes are sized concurrently: every item must still get its own
// size, in name order, and a volume whose data cannot be read is "not
// available" (-1) and counted active, as Docker does.
func TestDiskUsageConcurrent(t *testing.T) {
	s, _ := newTestService(t)
	ctx := context.Background()
	var total int64
	for i := range 40 {
		v := mustCreate(t, s, fmt.Sprintf("v%02d", i), nil, nil)
		if err := os.WriteFile(filepath.Join(v.Mountpoint, "f"), make([]byte, 10*i+1), 0o644); err != nil {
			t.Fatal(err)
		}
		total += int64(10*i + 1)
	}
	broken := mustCreate(t, s, "zz-broken", nil, nil)
	if err := os.RemoveAll(broken.Mountpoint); err != nil {
		t.Fatal(err)
	}
	du, err := s.DiskUsage(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(du.Items) != 41 {
		t.Fatalf("%d items", len(du.Items))
	}
	for i, it := range du.Items[:40] {
		if want := fmt.Sprintf("v%02d", i); it.Name != want || it.UsageData.Size != int64(10*i+1) {
			t.Errorf("item %d: %s size %d, want %s size %d", i, it.Name, it.UsageData.Size, want, 10*i+1)
		}
	}
	if it := du.Items[40]; it.Name != "zz-broken" || it.UsageData.Size != -1 {
		t.Errorf("broken volume: %s size %d", it.Name, it.UsageData.Size)
	}
	if du.TotalCount != 41 || du.ActiveCount != 1 || du.TotalSize != total || du.Reclaimable != total {
		t.Errorf("usage %+v", du)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.DiskUsage(cctx, true); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: err = %v", err)
	}
}
