package distribution

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

func TestRegistryMessage(t *testing.T) {
	u, _ := url.Parse("http://127.0.0.1:5000/v2/x/manifests/1")
	tests := []struct {
		te   *transport.Error
		want string
	}{
		{&transport.Error{StatusCode: 404, Errors: []transport.Diagnostic{{Code: transport.ManifestUnknownErrorCode, Message: "manifest unknown"}}}, "manifest unknown: manifest unknown"},
		{&transport.Error{StatusCode: 401, Errors: []transport.Diagnostic{{Code: transport.UnauthorizedErrorCode, Message: "authentication required"}}}, "unauthorized: authentication required"},
		{&transport.Error{StatusCode: 502, Request: &http.Request{Method: "GET", URL: u}}, "unexpected status from GET request to http://127.0.0.1:5000/v2/x/manifests/1: Bad Gateway"},
		{&transport.Error{StatusCode: 500}, "Internal Server Error"},
	}
	for _, tc := range tests {
		if got := registryMessage(tc.te); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}
