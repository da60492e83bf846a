package distribution

import (
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestInsecure(t *testing.T) {
	o := &Options{InsecureRegistries: []string{"10.1.0.0/16", "myreg:5000", "http://other.example"}}
	tests := []struct {
		host string
		want bool
	}{
		{"127.0.0.1:5000", true},
		{"127.3.4.5", true},
		{"[::1]:5000", true},
		{"10.1.2.3:443", true},
		{"10.2.0.1:5000", false},
		{"myreg:5000", true},
		{"myreg:5001", false},
		{"other.example", true},
		{"registry-1.docker.io", false},
	}
	for _, tc := range tests {
		if got := o.insecure(tc.host); got != tc.want {
			t.Errorf("insecure(%q) = %v, want %v", tc.host, got, tc.want)
		}
	}
}

func TestPlatformMatches(t *testing.T) {
	tests := []struct {
		have *v1.Platform
		want v1.Platform
		ok   bool
	}{
		{&v1.Platform{OS: "linux", Architecture: "amd64"}, v1.Platform{OS: "linux", Architecture: "amd64"}, true},
		{&v1.Platform{OS: "linux", Architecture: "arm64"}, v1.Platform{OS: "linux", Architecture: "amd64"}, false},
		{&v1.Platform{OS: "linux", Architecture: "arm64"}, v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, true},
		{&v1.Platform{OS: "linux", Architecture: "arm", Variant: "v6"}, v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}, false},
		{&v1.Platform{OS: "unknown", Architecture: "unknown"}, v1.Platform{OS: "linux", Architecture: "amd64"}, false},
		{nil, v1.Platform{OS: "linux", Architecture: "amd64"}, false},
	}
	for _, tc := range tests {
		if got := platformMatches(tc.have, tc.want); got != tc.ok {
			t.Errorf("platformMatches(%v, %v) = %v", tc.have, tc.want, got)
		}
	}
}
