// Package apiserver serves the Docker Engine API over HTTP. It mounts the
// routes of every registered router both unversioned ("/containers/json")
// and versioned ("/v1.NN/containers/json"), negotiates the API version,
// sets Docker's common response headers and renders handler errors through
// httperrors. The routers themselves live in apiserver/router/*.
package apiserver

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/berth-project/berth/apiserver/httperrors"
	"github.com/berth-project/berth/apiserver/httputils"
	"github.com/berth-project/berth/apiserver/router"
	"github.com/berth-project/berth/internal/errdefs"
)

// API versions served; see httputils.
const (
	MaxAPIVersion = httputils.MaxAPIVersion
	MinAPIVersion = httputils.MinAPIVersion
)

// Config configures the server.
type Config struct {
	// Version is the daemon version, shown in the Server header
	// ("berth/<Version> (linux)").
	Version string
	// Debug logs every request (method, path, status, duration).
	Debug bool
	// Logger receives debug and error logs; slog.Default() when nil.
	Logger *slog.Logger
}

// Server is the Engine API HTTP server.
type Server struct {
	cfg        Config
	log        *slog.Logger
	serverHdr  []string
	apiVerHdr  []string
	osTypeHdr  []string
	mu         sync.RWMutex
	mux        mux
	shutdownCh chan struct{}
	shutOnce   sync.Once
	srvMu      sync.Mutex
	servers    []*http.Server
}

// New returns a server with no routes.
func New(cfg Config) *Server {
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.Default()
	}
	return &Server{
		cfg:        cfg,
		log:        lg,
		serverHdr:  []string{"berth/" + cfg.Version + " (" + runtime.GOOS + ")"},
		apiVerHdr:  []string{MaxAPIVersion},
		osTypeHdr:  []string{runtime.GOOS},
		shutdownCh: make(chan struct{}),
	}
}

// Register adds the routes of routers. A route with the same method and
// path as an earlier one replaces it.
func (s *Server) Register(routers ...router.Router) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range routers {
		for _, rt := range r.Routes() {
			s.mux.add(rt)
		}
	}
}

// Serve accepts connections on l until Shutdown; it returns nil after a
// Shutdown.
func (s *Server) Serve(l net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		BaseContext: func(net.Listener) context.Context {
			return httputils.WithShutdown(context.Background(), s.shutdownCh)
		},
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.srvMu.Lock()
	select {
	case <-s.shutdownCh:
		s.srvMu.Unlock()
		return nil
	default:
	}
	s.servers = append(s.servers, srv)
	s.srvMu.Unlock()
	err := srv.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections, ends long-lived streams (events,
// followed logs, waits) and waits for in-flight requests until ctx is done,
// then closes what is left. Hijacked attach/exec connections are not
// tracked by net/http and end with their backend call.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutOnce.Do(func() { close(s.shutdownCh) })
	s.srvMu.Lock()
	servers := append([]*http.Server(nil), s.servers...)
	s.srvMu.Unlock()
	var firstErr error
	for _, srv := range servers {
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	return firstErr
}

// ServeHTTP routes one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var start time.Time
	if s.cfg.Debug {
		start = time.Now()
		sw := &statusWriter{ResponseWriter: w}
		w = sw
		defer func() {
			s.log.Debug("api request", "method", r.Method, "path", r.URL.Path, "status", sw.status(), "duration", time.Since(start))
		}()
	}
	h := w.Header()
	h["Server"] = s.serverHdr
	h["Api-Version"] = s.apiVerHdr
	h["Ostype"] = s.osTypeHdr

	path := r.URL.Path
	version := ""
	if rest, ok := strings.CutPrefix(path, "/v"); ok {
		v, tail, _ := strings.Cut(rest, "/")
		if isVersion(v) {
			version = v
			path = "/" + tail
		}
	}
	if version != "" {
		if httputils.CompareVersions(version, MinAPIVersion) < 0 {
			httperrors.Write(w, errdefs.InvalidParameter("client version %s is too old. Minimum supported API version is %s, please upgrade your client to a newer version", version, MinAPIVersion))
			return
		}
		if httputils.CompareVersions(version, MaxAPIVersion) > 0 {
			httperrors.Write(w, errdefs.InvalidParameter("client version %s is too new. Maximum supported API version is %s", version, MaxAPIVersion))
			return
		}
	} else {
		version = MaxAPIVersion
	}

	s.mu.RLock()
	c, vars := s.mux.lookup(r.Method, path)
	s.mu.RUnlock()
	if c == nil {
		httperrors.Write(w, errdefs.NotFound("page not found"))
		return
	}
	ctx := httputils.WithVersion(r.Context(), version)
	if err := c.route.Handler(ctx, w, r, vars); err != nil {
		if httperrors.StatusCode(err) == http.StatusInternalServerError {
			s.log.Error("handler error", "method", r.Method, "path", r.URL.Path, "error", err)
		}
		httperrors.Write(w, err)
	}
}

// isVersion matches Docker's [0-9.]+ version path segment.
func isVersion(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if (v[i] < '0' || v[i] > '9') && v[i] != '.' {
			return false
		}
	}
	return true
}

// statusWriter records the status for debug logs; Unwrap keeps
// http.ResponseController (flush, hijack) working through it.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK // nothing written (HEAD) or hijacked
	}
	return w.code
}
