package lifecycle

import (
	"syscall"
	"testing"
)

func TestParseSignal(t *testing.T) {
	tests := []struct {
		in   string
		want syscall.Signal
		bad  bool
	}{
		{in: "KILL", want: syscall.SIGKILL},
		{in: "SIGKILL", want: syscall.SIGKILL},
		{in: "sigterm", want: syscall.SIGTERM},
		{in: "usr1", want: syscall.SIGUSR1},
		{in: "9", want: syscall.SIGKILL},
		{in: "15", want: syscall.SIGTERM},
		{in: "64", want: syscall.Signal(64)},
		{in: "SIGRTMIN+3", want: syscall.Signal(37)},
		{in: "RTMAX-1", want: syscall.Signal(63)},
		{in: "WINCH", want: syscall.SIGWINCH},
		{in: "0", bad: true},
		{in: "65", bad: true},
		{in: "-1", bad: true},
		{in: "SIGNOPE", bad: true},
		{in: "", bad: true},
		{in: "RTMIN+31", bad: true},
	}
	for _, tt := range tests {
		got, err := ParseSignal(tt.in)
		if tt.bad {
			if err == nil || err.Error() != "Invalid signal: "+tt.in {
				t.Errorf("ParseSignal(%q) = %v, %v; want Invalid signal", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseSignal(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}
