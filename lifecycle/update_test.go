package lifecycle

import (
	"testing"

	containertypes "github.com/moby/moby/api/types/container"
)

func TestApplyResources(t *testing.T) {
	tests := []struct {
		name    string
		have    containertypes.Resources
		upd     containertypes.Resources
		wantErr string
		check   func(r containertypes.Resources) bool
	}{
		{"memory within default swap", containertypes.Resources{Memory: 64 << 20}, containertypes.Resources{Memory: 96 << 20}, "",
			func(r containertypes.Resources) bool { return r.Memory == 96<<20 && r.MemorySwap == 128<<20 }},
		{"memory above swap", containertypes.Resources{Memory: 64 << 20, MemorySwap: 128 << 20}, containertypes.Resources{Memory: 200 << 20},
			"Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time", nil},
		{"memory and swap together", containertypes.Resources{Memory: 64 << 20}, containertypes.Resources{Memory: 200 << 20, MemorySwap: 400 << 20}, "",
			func(r containertypes.Resources) bool { return r.Memory == 200<<20 && r.MemorySwap == 400<<20 }},
		{"no limit before", containertypes.Resources{}, containertypes.Resources{Memory: 200 << 20}, "",
			func(r containertypes.Resources) bool { return r.Memory == 200<<20 && r.MemorySwap == 0 }},
		{"cpus after period", containertypes.Resources{CPUPeriod: 50000}, containertypes.Resources{NanoCPUs: 1e9},
			"Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set", nil},
		{"quota after cpus", containertypes.Resources{NanoCPUs: 1e9}, containertypes.Resources{CPUQuota: 50000},
			"Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set", nil},
		{"rt runtime", containertypes.Resources{}, containertypes.Resources{CPURealtimeRuntime: 950000}, "",
			func(r containertypes.Resources) bool { return r.CPURealtimeRuntime == 950000 }},
	}
	for _, tt := range tests {
		r := tt.have
		err := applyResources(&r, &tt.upd)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("%s: %v, want %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !tt.check(r) {
			t.Errorf("%s: %v %+v", tt.name, err, r)
		}
	}
}
