package distribution

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	digest "github.com/opencontainers/go-digest"
)

// Service pulls and pushes for the daemon; it implements the router's
// DistributionBackend.
type Service struct {
	opts   Options
	store  Store
	tmpDir string
	meta   *metadata

	// flights makes concurrent pulls of one layer fetch it once: the
	// first registers it, the others wait and then find it stored.
	fmu     sync.Mutex
	flights map[digest.Digest]chan struct{}
}

// New returns the service; tmpDir holds download spools (unlinked files).
func New(opts Options, store Store, tmpDir string) (*Service, error) {
	if opts.MaxDownloads <= 0 {
		opts.MaxDownloads = 3
	}
	if opts.MaxUploads <= 0 {
		opts.MaxUploads = 5
	}
	if err := os.MkdirAll(tmpDir, 0o700); err != nil {
		return nil, err
	}
	m, err := newMetadata(opts.DB)
	if err != nil {
		return nil, err
	}
	return &Service{opts: opts, store: store, tmpDir: tmpDir, meta: m, flights: map[digest.Digest]chan struct{}{}}, nil
}

// acquire takes the flight of a layer; when another pull holds it, it
// waits for that one and returns false (check the store again).
func (s *Service) acquire(ctx context.Context, chain digest.Digest) (bool, error) {
	for {
		s.fmu.Lock()
		ch, busy := s.flights[chain]
		if !busy {
			s.flights[chain] = make(chan struct{})
			s.fmu.Unlock()
			return true, nil
		}
		s.fmu.Unlock()
		select {
		case <-ch:
			return false, nil
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
}

func (s *Service) release(chain digest.Digest) {
	s.fmu.Lock()
	if ch, ok := s.flights[chain]; ok {
		close(ch)
		delete(s.flights, chain)
	}
	s.fmu.Unlock()
}

// classify gives registry errors the class Docker answers with: 401 and
// 403 stay themselves, 404 is not found, and a registry that cannot be
// reached is unavailable.
func classify(err error, what string) error {
	if err == nil {
		return nil
	}
	var te *transport.Error
	if errors.As(err, &te) {
		msg := registryMessage(te)
		switch te.StatusCode {
		case http.StatusUnauthorized:
			return errdefs.Unauthorized("%s: %s", what, msg)
		case http.StatusForbidden:
			return errdefs.Forbidden("%s: %s", what, msg)
		case http.StatusNotFound:
			return errdefs.NotFound("%s: %s", what, msg)
		}
		return fmt.Errorf("%s: %s", what, msg)
	}
	if errdefs.IsNotFound(err) || errdefs.IsInvalidParameter(err) || errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}

// registryMessage renders a registry's error answer as Docker does
// ("manifest unknown: manifest unknown", "unauthorized: authentication
// required"): the code in words, then the registry's message.
func registryMessage(te *transport.Error) string {
	var parts []string
	for _, d := range te.Errors {
		code := strings.ToLower(strings.ReplaceAll(string(d.Code), "_", " "))
		if d.Message != "" {
			parts = append(parts, code+": "+d.Message)
		} else {
			parts = append(parts, code)
		}
	}
	if len(parts) == 0 && te.Request == nil {
		return http.StatusText(te.StatusCode)
	}
	if len(parts) == 0 {
		return fmt.Sprintf("unexpected status from %s request to %s: %s", te.Request.Method, te.Request.URL, http.StatusText(te.StatusCode))
	}
	return strings.Join(parts, "; ")
}
