package container

import (
	"context"
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/berth-project/berth/apiserver/httputils"
	"github.com/moby/moby/api/types/blkiodev"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

func TestInspectForVersion(t *testing.T) {
	resp := &container.InspectResponse{
		ID: "c1",
		NetworkSettings: &container.NetworkSettings{SandboxID: "sb", Networks: map[string]*network.EndpointSettings{
			"bridge": {EndpointID: "ep", IPAddress: netip.MustParseAddr("172.17.0.2"), Gateway: netip.MustParseAddr("172.17.0.1"),
				IPPrefixLen: 16, MacAddress: network.HardwareAddr{2, 0x42, 0xac, 0x11, 0, 2}},
			"other": {EndpointID: "ep2", IPAddress: netip.MustParseAddr("10.0.0.2")},
		}},
	}
	onOther := &container.InspectResponse{NetworkSettings: &container.NetworkSettings{Networks: map[string]*network.EndpointSettings{
		"other": {EndpointID: "ep2", IPAddress: netip.MustParseAddr("10.0.0.2")},
	}}}
	tests := []struct {
		version string
		resp    *container.InspectResponse
		want    map[string]any // top-level NetworkSettings fields; nil: absent
	}{
		{"1.41", resp, map[string]any{"IPAddress": "172.17.0.2", "Gateway": "172.17.0.1", "IPPrefixLen": 16.0, "MacAddress": "02:42:ac:11:00:02", "EndpointID": "ep", "Bridge": "", "SandboxID": "sb"}},
		{"1.51", onOther, map[string]any{"IPAddress": "", "Gateway": "", "IPPrefixLen": 0.0, "MacAddress": "", "EndpointID": ""}},
		{"1.52", resp, map[string]any{"IPAddress": nil, "Gateway": nil, "Bridge": nil, "SandboxID": "sb"}},
	}
	for _, tc := range tests {
		ctx := httputils.WithVersion(context.Background(), tc.version)
		b, err := json.Marshal(inspectForVersion(ctx, tc.resp))
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			ID              string
			NetworkSettings map[string]any
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		for k, v := range tc.want {
			if got.NetworkSettings[k] != v {
				t.Errorf("%s: NetworkSettings.%s = %#v, want %#v", tc.version, k, got.NetworkSettings[k], v)
			}
		}
		if tc.resp == resp && got.ID != "c1" {
			t.Errorf("%s: the rest of the body was lost: %s", tc.version, b)
		}
	}
}

func TestAdaptToVersion(t *testing.T) {
	for _, tc := range []struct {
		version string
		ipc     container.IpcMode
		remove  bool
	}{{"1.24", "shareable", false}, {"1.39", "shareable", true}, {"1.40", "", true}} {
		ctx := httputils.WithVersion(context.Background(), tc.version)
		req := &container.CreateRequest{Config: &container.Config{}, HostConfig: &container.HostConfig{AutoRemove: true}}
		adaptCreateToVersion(ctx, req)
		if req.HostConfig.IpcMode != tc.ipc || req.HostConfig.AutoRemove != tc.remove {
			t.Errorf("%s: IpcMode %q AutoRemove %v", tc.version, req.HostConfig.IpcMode, req.HostConfig.AutoRemove)
		}
	}
	limit := int64(5)
	for _, tc := range []struct {
		version    string
		pids, devs bool
	}{{"1.39", false, false}, {"1.40", true, false}, {"1.55", true, true}} {
		ctx := httputils.WithVersion(context.Background(), tc.version)
		cfg := &container.UpdateConfig{Resources: container.Resources{PidsLimit: &limit, BlkioDeviceWriteIOps: []*blkiodev.ThrottleDevice{}}}
		adaptUpdateToVersion(ctx, cfg)
		if (cfg.PidsLimit != nil) != tc.pids || (cfg.BlkioDeviceWriteIOps != nil) != tc.devs {
			t.Errorf("%s: PidsLimit %v, device rules %v", tc.version, cfg.PidsLimit, cfg.BlkioDeviceWriteIOps)
		}
	}
}
