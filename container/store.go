package container

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/berth-project/berth/internal/errdefs"
	bolt "go.etcd.io/bbolt"
)

var bucket = []byte("containers")

// Store keeps all containers in memory, indexed by ID and name, and writes
// each change through to bbolt so state survives daemon restarts.
type Store struct {
	db    *bolt.DB
	mu    sync.RWMutex
	byID  map[string]*Container
	names map[string]string // "/name" -> id
}

// NewStore loads every container from db.
func NewStore(db *bolt.DB) (*Store, error) {
	s := &Store{db: db, byID: map[string]*Container{}, names: map[string]string{}}
	err := db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucket)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			c := &Container{}
			if err := json.Unmarshal(v, c); err != nil {
				return fmt.Errorf("container %s: %w", k, err)
			}
			s.byID[c.ID] = c
			s.names[c.Name] = c.ID
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("load containers: %w", err)
	}
	return s, nil
}

// Reserve claims a name for id; Docker's wording on conflict.
func (s *Store) Reserve(name, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if other, ok := s.names[name]; ok && other != id {
		return errdefs.Conflict("Conflict. The container name %q is already in use by container %q. You have to remove (or rename) that container to be able to reuse that name.", name, other)
	}
	s.names[name] = id
	return nil
}

// Release frees a name if id holds it.
func (s *Store) Release(name, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.names[name] == id {
		delete(s.names, name)
	}
}

// Add registers a new container and persists it.
func (s *Store) Add(c *Container) error {
	s.mu.Lock()
	s.byID[c.ID] = c
	s.mu.Unlock()
	if err := s.Save(c); err != nil {
		s.mu.Lock()
		delete(s.byID, c.ID)
		s.mu.Unlock()
		return err
	}
	return nil
}

// Save persists c. Call with c locked (the snapshot must be consistent).
func (s *Store) Save(c *Container) error {
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode container %s: %w", c.ID, err)
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).Put([]byte(c.ID), data)
	})
}

// Delete forgets a container and its name.
func (s *Store) Delete(c *Container) error {
	s.mu.Lock()
	delete(s.byID, c.ID)
	if s.names[c.Name] == c.ID {
		delete(s.names, c.Name)
	}
	s.mu.Unlock()
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).Delete([]byte(c.ID))
	})
}

// Get resolves a full ID, a name (with or without "/") or a unique ID
// prefix, as Docker does. Missing: "No such container: <ref>".
func (s *Store) Get(ref string) (*Container, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if ref == "" {
		return nil, errdefs.NotFound("No such container: %s", ref)
	}
	if c, ok := s.byID[ref]; ok {
		return c, nil
	}
	name := ref
	if !strings.HasPrefix(name, "/") {
		name = "/" + name
	}
	if id, ok := s.names[name]; ok {
		return s.byID[id], nil
	}
	var found *Container
	for id, c := range s.byID {
		if strings.HasPrefix(id, ref) {
			if found != nil {
				return nil, errdefs.InvalidParameter("multiple IDs found with provided prefix: %s", ref)
			}
			found = c
		}
	}
	if found == nil {
		return nil, errdefs.NotFound("No such container: %s", ref)
	}
	return found, nil
}

// List returns all containers, newest first.
func (s *Store) List() []*Container {
	s.mu.RLock()
	out := make([]*Container, 0, len(s.byID))
	for _, c := range s.byID {
		out = append(out, c)
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out
}

// Rename moves c to newName atomically with respect to other reservations.
func (s *Store) Rename(c *Container, newName string) error {
	if err := s.Reserve(newName, c.ID); err != nil {
		return err
	}
	s.Release(c.Name, c.ID)
	return nil
}
