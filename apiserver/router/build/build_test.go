package build

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
	"github.com/moby/moby/api/types/build"
)

type fakeBackend struct {
	all bool
	f   filters.Args
}

func (b *fakeBackend) BuildCachePrune(_ context.Context, all bool, f filters.Args) (*build.CachePruneReport, error) {
	b.all, b.f = all, f
	if f.Contains("bogus") {
		return nil, errdefs.InvalidParameter("invalid filter 'bogus'")
	}
	return &build.CachePruneReport{SpaceReclaimed: 7}, nil
}

func TestPrune(t *testing.T) {
	tests := []struct {
		query   string
		wantAll bool
		wantErr bool
	}{
		{"", false, false},
		{"all=1", true, false},
		{`filters={"until":{"24h":true}}`, false, false},
		{`filters={"bogus":{"x":true}}`, false, true},
		{`filters=notjson`, false, true},
	}
	for _, tt := range tests {
		b := &fakeBackend{}
		h := NewRouter(b).Routes()[0].Handler
		req := httptest.NewRequest(http.MethodPost, "/build/prune?"+tt.query, nil)
		w := httptest.NewRecorder()
		err := h(context.Background(), w, req, nil)
		if (err != nil) != tt.wantErr {
			t.Fatalf("%q: err = %v", tt.query, err)
		}
		if err != nil {
			continue
		}
		var rep build.CachePruneReport
		if jerr := json.Unmarshal(w.Body.Bytes(), &rep); jerr != nil || rep.SpaceReclaimed != 7 || rep.CachesDeleted == nil {
			t.Fatalf("%q: body %s (%v)", tt.query, w.Body, jerr)
		}
		if b.all != tt.wantAll {
			t.Errorf("%q: all = %v", tt.query, b.all)
		}
	}
}
