package apiserver

import (
	"net/http/httptest"
	"testing"

	"github.com/berth-project/berth/apiserver/internal/fake"
	crouter "github.com/berth-project/berth/apiserver/router/container"
	"github.com/berth-project/berth/apiserver/router/notimpl"
	srouter "github.com/berth-project/berth/apiserver/router/system"
)

// BenchmarkRouting measures the per-request cost of version parsing,
// headers and route lookup on the `docker run` path.
func BenchmarkRouting(b *testing.B) {
	s := New(Config{})
	s.Register(notimpl.NewRouter(), srouter.NewRouter(fake.NewSystem()), crouter.NewRouter(fake.NewContainers()))
	req := httptest.NewRequest("HEAD", "/v1.50/_ping", nil)
	b.ReportAllocs()
	for b.Loop() {
		s.ServeHTTP(httptest.NewRecorder(), req)
	}
}
