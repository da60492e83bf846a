package opts

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/blkiodev"
)

func cutDevice(val string) (string, string, error) {
	k, v, ok := strings.Cut(val, ":")
	if !ok || k == "" {
		return "", "", fmt.Errorf("bad format: %s", val)
	}
	if !strings.HasPrefix(k, "/dev/") {
		return "", "", fmt.Errorf("bad format for device path: %s", val)
	}
	return k, v, nil
}

// ParseThrottleBps parses --device-read-bps/--device-write-bps
// ("/dev/sda:10mb"), with docker's errors.
func ParseThrottleBps(vals []string) ([]*blkiodev.ThrottleDevice, error) {
	var out []*blkiodev.ThrottleDevice
	for _, val := range vals {
		k, v, err := cutDevice(val)
		if err != nil {
			return nil, err
		}
		rate, err := units.RAMInBytes(v)
		if err != nil || rate < 0 {
			return nil, fmt.Errorf("invalid rate for device: %s. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb", val)
		}
		out = append(out, &blkiodev.ThrottleDevice{Path: k, Rate: uint64(rate)})
	}
	return out, nil
}

// ParseThrottleIOps parses --device-read-iops/--device-write-iops
// ("/dev/sda:1000").
func ParseThrottleIOps(vals []string) ([]*blkiodev.ThrottleDevice, error) {
	var out []*blkiodev.ThrottleDevice
	for _, val := range vals {
		k, v, err := cutDevice(val)
		if err != nil {
			return nil, err
		}
		rate, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("invalid rate for device: %s. The correct format is <device-path>:<number>. Number must be a positive integer", val)
		}
		out = append(out, &blkiodev.ThrottleDevice{Path: k, Rate: rate})
	}
	return out, nil
}

// ParseWeightDevices parses --blkio-weight-device ("/dev/sda:500").
func ParseWeightDevices(vals []string) ([]*blkiodev.WeightDevice, error) {
	var out []*blkiodev.WeightDevice
	for _, val := range vals {
		k, v, err := cutDevice(val)
		if err != nil {
			return nil, err
		}
		w, err := strconv.ParseUint(v, 10, 16)
		if err != nil || (w != 0 && (w < 10 || w > 1000)) {
			return nil, fmt.Errorf("invalid weight for device: %s", val)
		}
		out = append(out, &blkiodev.WeightDevice{Path: k, Weight: uint16(w)})
	}
	return out, nil
}
