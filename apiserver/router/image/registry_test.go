package image

import (
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/moby/moby/api/types/registry"
)

func TestRegistryAuth(t *testing.T) {
	j := `{"username":"john","password":"p+/w","serveraddress":"127.0.0.1:5000"}`
	tests := []struct {
		name    string
		header  string
		want    *registry.AuthConfig
		wantErr bool
	}{
		{"none", "", nil, false},
		{"empty object", base64.URLEncoding.EncodeToString([]byte("{}")), nil, false},
		{"url padded", base64.URLEncoding.EncodeToString([]byte(j)), &registry.AuthConfig{Username: "john", Password: "p+/w", ServerAddress: "127.0.0.1:5000"}, false},
		{"url raw", base64.RawURLEncoding.EncodeToString([]byte(j)), &registry.AuthConfig{Username: "john", Password: "p+/w", ServerAddress: "127.0.0.1:5000"}, false},
		{"std", base64.StdEncoding.EncodeToString([]byte(j)), &registry.AuthConfig{Username: "john", Password: "p+/w", ServerAddress: "127.0.0.1:5000"}, false},
		{"not base64", "!!!", nil, true},
		{"not json", base64.URLEncoding.EncodeToString([]byte("nope")), nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodPost, "/images/create", nil)
			if tc.header != "" {
				r.Header.Set(registry.AuthHeader, tc.header)
			}
			got, err := registryAuth(r)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func FuzzRegistryAuth(f *testing.F) {
	f.Add(base64.URLEncoding.EncodeToString([]byte(`{"username":"a","password":"b"}`)))
	f.Add("e30=")
	f.Add("%%%")
	f.Fuzz(func(t *testing.T, h string) {
		r, _ := http.NewRequest(http.MethodPost, "/auth", nil)
		r.Header.Set(registry.AuthHeader, h)
		a, err := registryAuth(r)
		if err != nil && a != nil {
			t.Error("auth config returned with an error")
		}
	})
}
