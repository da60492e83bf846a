package swarm

import (
	"reflect"
	"testing"
)

func TestDefaultRouteIfaces(t *testing.T) {
	const hdr = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
	for _, tc := range []struct {
		name, table string
		want        []string
	}{
		{"default first", hdr + "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" +
			"eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n", []string{"eth0"}},
		{"default after others, two of them", hdr + "br0\t0000A00A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n" +
			"wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n" +
			"eth1\t00000000\t0102A8C0\t0003\t0\t0\t700\t00000000\t0\t0\t0\n", []string{"wlan0", "eth1"}},
		{"no default", hdr + "lo\t0000007F\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0\n", nil},
		{"a 0.0.0.0/1 is no default", hdr + "tun0\t00000000\t00000000\t0001\t0\t0\t0\t00000080\t0\t0\t0\n", nil},
		{"empty", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := defaultRouteIfaces(tc.table); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
