package opts

import "testing"

func TestParseBlkioDevices(t *testing.T) {
	bps, err := ParseThrottleBps([]string{"/dev/sda:10mb", "/dev/vdb:512"})
	if err != nil || len(bps) != 2 || bps[0].Rate != 10<<20 || bps[1].Path != "/dev/vdb" || bps[1].Rate != 512 {
		t.Fatalf("bps: %v %v", bps, err)
	}
	iops, err := ParseThrottleIOps([]string{"/dev/sda:1000"})
	if err != nil || iops[0].Rate != 1000 {
		t.Fatalf("iops: %v %v", iops, err)
	}
	w, err := ParseWeightDevices([]string{"/dev/sda:500"})
	if err != nil || w[0].Weight != 500 {
		t.Fatalf("weight: %v %v", w, err)
	}
	for _, tt := range []struct {
		fn   func([]string) error
		in   string
		want string
	}{
		{func(v []string) error { _, err := ParseThrottleBps(v); return err }, "sda:1mb", "bad format for device path: sda:1mb"},
		{func(v []string) error { _, err := ParseThrottleBps(v); return err }, "/dev/sda", "bad format: /dev/sda"},
		{func(v []string) error { _, err := ParseThrottleBps(v); return err }, "/dev/sda:fast", "invalid rate for device: /dev/sda:fast. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb"},
		{func(v []string) error { _, err := ParseThrottleIOps(v); return err }, "/dev/sda:1k", "invalid rate for device: /dev/sda:1k. The correct format is <device-path>:<number>. Number must be a positive integer"},
		{func(v []string) error { _, err := ParseWeightDevices(v); return err }, "/dev/sda:5", "invalid weight for device: /dev/sda:5"},
	} {
		if err := tt.fn([]string{tt.in}); err == nil || err.Error() != tt.want {
			t.Errorf("%s: %v, want %q", tt.in, err, tt.want)
		}
	}
}

func FuzzParseThrottleBps(f *testing.F) {
	for _, s := range []string{"/dev/sda:10mb", "/dev/x:", ":1", "/dev/sda:-1", "/dev/a:1gb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		devs, err := ParseThrottleBps([]string{s})
		if err == nil && (len(devs) != 1 || devs[0].Path == "") {
			t.Fatalf("%q: %v", s, devs)
		}
	})
}
