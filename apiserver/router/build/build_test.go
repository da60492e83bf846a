package build

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/berth-project/berth/builder"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
	"github.com/moby/moby/api/types/build"
)

type fakeBackend struct {
	all  bool
	f    filters.Args
	opts *builder.Options
	// out is written before err is returned, to test in-band errors.
	out string
	err error
}

func (b *fakeBackend) Build(_ context.Context, opts *builder.Options, body io.Reader, out io.Writer) error {
	b.opts = opts
	io.Copy(io.Discard, body)
	if b.out != "" {
		io.WriteString(out, b.out)
	}
	return b.err
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

func TestBuildOptions(t *testing.T) {
	b := &fakeBackend{}
	h := NewRouter(b).Routes()[1].Handler
	q := `t=a&t=b:1&dockerfile=sub/Df&buildargs={"X":"1","Y":null}&labels={"l":"v"}&nocache=1&rm=0&memory=1024&shmsize=64&extrahosts=h1:1.2.3.4,h2:5.6.7.8&target=t1&cachefrom=["c1"]&platform=linux/amd64`
	req := httptest.NewRequest(http.MethodPost, "/build?"+strings.ReplaceAll(q, `"`, "%22"), strings.NewReader("body"))
	w := httptest.NewRecorder()
	if err := h(context.Background(), w, req, nil); err != nil {
		t.Fatal(err)
	}
	o := b.opts
	if len(o.Tags) != 2 || o.Dockerfile != "sub/Df" || *o.BuildArgs["X"] != "1" || o.BuildArgs["Y"] != nil ||
		o.Labels["l"] != "v" || !o.NoCache || o.Remove || o.Memory != 1024 || o.ShmSize != 64 ||
		len(o.ExtraHosts) != 2 || o.Target != "t1" || o.CacheFrom[0] != "c1" || o.Platform != "linux/amd64" {
		t.Errorf("options = %+v", o)
	}
	req = httptest.NewRequest(http.MethodPost, "/build?memory=x", nil)
	if err := h(context.Background(), httptest.NewRecorder(), req, nil); !errdefs.IsInvalidParameter(err) {
		t.Errorf("bad memory: %v", err)
	}
}

func TestBuildErrors(t *testing.T) {
	h := func(b *fakeBackend) (*httptest.ResponseRecorder, error) {
		w := httptest.NewRecorder()
		err := NewRouter(b).Routes()[1].Handler(context.Background(), w, httptest.NewRequest(http.MethodPost, "/build", nil), nil)
		return w, err
	}
	// Before any output: a plain error (the server renders its status).
	if _, err := h(&fakeBackend{err: errdefs.InvalidParameter("dockerfile parse error")}); !errdefs.IsInvalidParameter(err) {
		t.Errorf("early error = %v", err)
	}
	// After output: in-band, with the RUN's exit code.
	w, err := h(&fakeBackend{out: `{"stream":"Step 1/1 : RUN exit 3\n"}` + "\n", err: &builder.StepError{Msg: "The command '/bin/sh -c exit 3' returned a non-zero code: 3", Code: 3}})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(w.Body.String()), "\n")
	var m struct {
		ErrorDetail struct {
			Code    int
			Message string
		} `json:"errorDetail"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil || m.ErrorDetail.Code != 3 || !strings.Contains(m.Error, "non-zero code: 3") {
		t.Errorf("in-band error %q (%v)", w.Body.String(), err)
	}
	w, _ = h(&fakeBackend{out: "{}\n", err: errors.New("plain")})
	if !strings.Contains(w.Body.String(), `"message":"plain"`) || strings.Contains(w.Body.String(), `"code"`) {
		t.Errorf("plain in-band error %q", w.Body.String())
	}
}
