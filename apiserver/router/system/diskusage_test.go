package system

import (
	"encoding/json"
	"testing"

	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/api/types/volume"
)

func sampleDU() *system.DiskUsage {
	return &system.DiskUsage{
		ImageUsage:      &image.DiskUsage{TotalSize: 100, TotalCount: 1, Items: []image.Summary{{ID: "sha256:a", Size: 100}}},
		ContainerUsage:  &container.DiskUsage{TotalCount: 1, Items: []container.Summary{{ID: "c1", SizeRw: 5}}},
		VolumeUsage:     &volume.DiskUsage{TotalCount: 1, TotalSize: 7, Items: []volume.Volume{{Name: "v", UsageData: &volume.UsageData{Size: 7, RefCount: 1}}}},
		BuildCacheUsage: &build.DiskUsage{Items: []build.CacheRecord{}},
	}
}

func TestLegacyDiskUsage(t *testing.T) {
	b, err := json.Marshal(legacyDiskUsage(sampleDU()))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		LayersSize int64
		Images     []image.Summary
		Containers []container.Summary
		Volumes    []volume.Volume
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.LayersSize != 100 || len(got.Images) != 1 || len(got.Containers) != 1 || len(got.Volumes) != 1 || got.Volumes[0].UsageData.Size != 7 {
		t.Errorf("legacy body: %s", b)
	}
	// Kinds not asked for are null, never absent (docker-py indexes
	// them); kinds asked for are lists even when empty.
	b, _ = json.Marshal(legacyDiskUsage(&system.DiskUsage{VolumeUsage: &volume.DiskUsage{}}))
	if want := `{"LayersSize":0,"Images":null,"Containers":null,"Volumes":[],"BuildCache":null}`; string(b) != want {
		t.Errorf("volumes only:\n got %s\nwant %s", b, want)
	}
}

func TestStripItems(t *testing.T) {
	du := sampleDU()
	stripItems(du)
	if du.ImageUsage.Items != nil || du.ContainerUsage.Items != nil || du.VolumeUsage.Items != nil || du.BuildCacheUsage.Items != nil {
		t.Errorf("items kept: %+v", du)
	}
	if du.VolumeUsage.TotalSize != 7 || du.ImageUsage.TotalSize != 100 {
		t.Errorf("totals lost: %+v", du)
	}
}
