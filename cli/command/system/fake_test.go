package system

import (
	"net/http"
	"testing"

	"github.com/berth-project/berth/cli/internal/fakeapi"
)

type fakeAPI = fakeapi.API

var (
	jsonReply = fakeapi.JSON
	errReply  = fakeapi.Err
)

func run(t *testing.T, routes map[string]http.HandlerFunc, stdin string, args ...string) (string, string, error, *fakeAPI) {
	t.Helper()
	return fakeapi.Run(t, AddCommands, routes, stdin, args...)
}
