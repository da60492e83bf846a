package volume

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/moby/sys/mountinfo"
	bolt "go.etcd.io/bbolt"
)

// DefaultDriver is the only volume driver berth has.
const DefaultDriver = "local"

// AnonymousLabel marks volumes created without a name, as Docker does;
// prune without all=true only considers volumes carrying it.
const AnonymousLabel = "com.docker.volume.anonymous"

const dataDir = "_data"

// Volume is one local volume. Data lives at <root>/<name>/_data like Docker
// (Mountpoint).
type Volume struct {
	Name, Driver string // Driver is always "local" for now
	Mountpoint   string
	CreatedAt    time.Time
	// Labels and Options stay nil when the creator gave none, so the API
	// shows null exactly where Docker does.
	Labels, Options map[string]string
	Anonymous       bool // Docker labels these com.docker.volume.anonymous=""
}

func (v *Volume) clone() *Volume {
	c := *v
	c.Labels = maps.Clone(v.Labels)
	c.Options = maps.Clone(v.Options)
	return &c
}

// needsMount reports whether the volume's data comes from a mount made
// from its local-driver options (Docker: a device or a type is set).
func (v *Volume) needsMount() bool {
	return v.Options["type"] != "" || v.Options["device"] != ""
}

// activeMount tracks an options volume's mount on _data.
type activeMount struct {
	mounted bool
	users   map[string]int // container ID -> Mount calls not yet unmounted
}

func (a *activeMount) count() int {
	n := 0
	for _, c := range a.users {
		n += c
	}
	return n
}

// Service is the volume store. One mutex guards the in-memory state; it is
// held across the short filesystem and database steps of create, remove
// and mount so that each of them is atomic with respect to the others.
type Service struct {
	root string
	db   *bolt.DB

	mu     sync.Mutex
	vols   map[string]*Volume
	refs   map[string]map[string]struct{} // volume -> container IDs using it
	active map[string]*activeMount

	pruning atomic.Bool
	events  func(action, name string, attrs map[string]string)
}

// SetEvents installs the receiver of Docker's volume events: "create" and
// "destroy" (attrs driver=local) and "prune" (attrs reclaimed=<bytes>, no
// name). Call it before serving requests.
func (s *Service) SetEvents(fn func(action, name string, attrs map[string]string)) {
	s.events = fn
}

func (s *Service) emit(action, name string, attrs map[string]string) {
	if s.events != nil {
		s.events(action, name, attrs)
	}
}

// New opens the store rooted at root (<data-root>/volumes), loading the
// records from db and reconciling them with the directories on disk.
func New(root string, db *bolt.DB) (*Service, error) {
	if err := os.MkdirAll(root, 0o701); err != nil {
		return nil, fmt.Errorf("volumes: create root: %w", err)
	}
	// MkdirAll leaves an existing directory's mode alone; Docker keeps the
	// root at 0701 so other users cannot list volume names.
	if err := os.Chmod(root, 0o701); err != nil {
		return nil, fmt.Errorf("volumes: %w", err)
	}
	s := &Service{
		root:   root,
		db:     db,
		vols:   map[string]*Volume{},
		refs:   map[string]map[string]struct{}{},
		active: map[string]*activeMount{},
	}
	if err := s.load(); err != nil {
		return nil, err
	}
	return s, nil
}

// load reads the records, ignores those whose directory is gone, adopts
// volume directories that have no record (a crash between the directory
// rename and the database commit leaves one; Docker's local driver also
// lists volumes from its directories), and removes leftovers of interrupted
// creates and removes.
func (s *Service) load() error {
	recs, err := s.readRecords()
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(s.root)
	if err != nil {
		return fmt.Errorf("volumes: %w", err)
	}
	onDisk := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			s.removeLeftover(filepath.Join(s.root, name))
			continue
		}
		if e.IsDir() && validName(name) == nil {
			onDisk[name] = true
		}
	}
	for name, v := range recs {
		// The record stays: if the directory comes back (a data root on a
		// filesystem not mounted yet), so does the volume with its labels.
		if !onDisk[name] {
			slog.Warn("volume directory is missing; ignoring the volume", "volume", name)
			continue
		}
		s.vols[name] = v
	}
	for name := range onDisk {
		if _, ok := s.vols[name]; ok {
			continue
		}
		if _, err := os.Stat(s.dataPath(name)); err != nil {
			continue
		}
		v := &Volume{Name: name, Driver: DefaultDriver, Mountpoint: s.dataPath(name), CreatedAt: ctime(filepath.Join(s.root, name))}
		if err := s.putRecord(v); err != nil {
			return err
		}
		slog.Warn("adopted volume directory without a record", "volume", name)
		s.vols[name] = v
	}
	for name, v := range s.vols {
		v.Mountpoint = s.dataPath(name)
		if !v.needsMount() {
			continue
		}
		// A daemon that stopped with containers running left the mount in
		// place; containers re-Mount it when they are restored.
		if ok, err := mountinfo.Mounted(v.Mountpoint); err == nil && ok {
			s.active[name] = &activeMount{mounted: true, users: map[string]int{}}
		}
	}
	return nil
}

// removeLeftover deletes a temporary directory of an interrupted create or
// remove, refusing if anything is still mounted below it.
func (s *Service) removeLeftover(path string) {
	if m := mountsUnder(path); m != "" {
		slog.Warn("volumes: leftover directory still has a mount; leaving it", "path", path, "mount", m)
		return
	}
	if err := os.RemoveAll(path); err != nil {
		slog.Warn("volumes: cannot remove leftover directory", "path", path, "err", err)
	}
}

func (s *Service) dataPath(name string) string { return filepath.Join(s.root, name, dataDir) }

// Get returns a copy of the named volume.
func (s *Service) Get(name string) (*Volume, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.get("get", name)
	if err != nil {
		return nil, err
	}
	return v.clone(), nil
}

func (s *Service) get(op, name string) (*Volume, error) {
	v, ok := s.vols[name]
	if !ok {
		return nil, errNoSuchVolume(op, name)
	}
	return v, nil
}

// Shutdown unmounts every option mount still held and forgets its users.
// The daemon calls it only when containers stop with it: with
// live-restore the mounts must stay for the containers that keep running
// (load picks them up again on the next start).
func (s *Service) Shutdown() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for name, a := range s.active {
		if a.mounted {
			if err := s.unmount(name, a); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		delete(s.active, name)
	}
	return errors.Join(errs...)
}

// contextErr lets long loops stop when the caller gives up.
func contextErr(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	default:
		return nil
	}
}
