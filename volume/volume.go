package volume

import (
	"context"
	"time"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
	bolt "go.etcd.io/bbolt"
)

// Volume is one local volume. Data lives at <root>/<name>/_data like Docker
// (Mountpoint).
type Volume struct {
	Name, Driver string // Driver is always "local" for now
	Mountpoint   string
	CreatedAt    time.Time
	Labels       map[string]string
	Options      map[string]string
	Anonymous    bool // Docker labels these com.docker.volume.anonymous=""
}

// Service is the volume store.
type Service struct {
	root string
	db   *bolt.DB
}

// New opens the store rooted at root (<data-root>/volumes).
func New(root string, db *bolt.DB) (*Service, error) {
	return &Service{root: root, db: db}, nil
}

var errTODO = errdefs.NotImplemented("volumes: not implemented")

func (s *Service) Create(ctx context.Context, name, driver string, opts, labels map[string]string) (*Volume, error) {
	return nil, errTODO
}
func (s *Service) Get(name string) (*Volume, error)       { return nil, errTODO }
func (s *Service) List(f filters.Args) ([]*Volume, error) { return nil, errTODO }
func (s *Service) Remove(ctx context.Context, name string, force bool) error {
	return errTODO
}
func (s *Service) Prune(ctx context.Context, f filters.Args) (deleted []string, reclaimed uint64, err error) {
	return nil, 0, errTODO
}
func (s *Service) AddRef(name, containerID string) error          { return errTODO }
func (s *Service) RemoveRef(name, containerID string)             {}
func (s *Service) Refs(name string) []string                      { return nil }
func (s *Service) Mount(name, containerID string) (string, error) { return "", errTODO }
func (s *Service) Unmount(name, containerID string) error         { return errTODO }
func (s *Service) Size(name string) (int64, error)                { return 0, errTODO }
func (s *Service) Shutdown() error                                { return nil }
