package registry

import (
	"context"
	_ "crypto/sha512" // sha512 digests of blobs and manifests
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/sirupsen/logrus"

	// Registered by name in distribution's factories: the only storage
	// driver and the two access controllers we offer.
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/auth/token"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
)

// Server is one registry instance.
type Server struct {
	cfg     *configuration.Configuration
	app     *handlers.App
	handler http.Handler
	srv     *http.Server
}

// New builds the registry of cfg. distribution's NewApp panics on a bad
// configuration (unknown driver, unreadable htpasswd, ...); that becomes an
// error here.
func New(ctx context.Context, cfg *configuration.Configuration) (s *Server, err error) {
	if lvl, perr := logrus.ParseLevel(string(cfg.Log.Level)); perr == nil {
		logrus.SetLevel(lvl)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("registry: %v", r)
		}
	}()
	app := handlers.NewApp(ctx, cfg)
	s = &Server{cfg: cfg, app: app}
	root, _ := cfg.Storage.Parameters()["rootdirectory"].(string)
	if cfg.Storage.Type() != "filesystem" {
		root = ""
	}
	s.handler = specHandler(app, root)
	s.srv = &http.Server{Handler: s.handler, ReadHeaderTimeout: 30 * time.Second}
	return s, nil
}

// Handler is the HTTP handler of the registry (the /v2/ API).
func (s *Server) Handler() http.Handler { return s.handler }

// Serve serves on l, with TLS when the configuration names a certificate.
func (s *Server) Serve(l net.Listener) error {
	if t := s.cfg.HTTP.TLS; t.Certificate != "" {
		cert, err := tls.LoadX509KeyPair(t.Certificate, t.Key)
		if err != nil {
			return fmt.Errorf("registry TLS: %w", err)
		}
		l = tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	err := s.srv.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Listen opens the configured address (port 0 picks a free one; the
// listener's Addr says which).
func (s *Server) Listen() (net.Listener, error) {
	l, err := net.Listen("tcp", s.cfg.HTTP.Addr)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	return l, nil
}

// Shutdown stops accepting and waits for requests in flight.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	return errors.Join(err, s.app.Shutdown())
}
