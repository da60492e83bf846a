package volume

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/berth-project/berth/internal/errdefs"
	bolt "go.etcd.io/bbolt"
)

// Create makes a volume. An empty name makes an anonymous volume with a
// random 64-hex name and Docker's anonymous label. A name that exists
// returns the existing volume unchanged (labels and options of the request
// are ignored, as in Docker). Only the "local" driver exists; any other
// driver fails like Docker's plugin lookup.
//
// The volume directory is built under a temporary name and renamed into
// place inside the database transaction that records it, so an error
// leaves neither a directory nor a record behind.
func (s *Service) Create(ctx context.Context, name, driver string, opts, labels map[string]string) (*Volume, error) {
	if err := contextErr(ctx); err != nil {
		return nil, err
	}
	anonymous := name == ""
	if anonymous {
		name = randomID()
	}
	if driver != "" && driver != DefaultDriver {
		return nil, errdefs.NotFound("create %s: error looking up volume plugin %s: plugin %q not found", name, driver, driver)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.vols[name]; ok {
		return v.clone(), nil
	}
	if err := validName(name); err != nil {
		return nil, opErr("create", name, err)
	}
	if err := validateOpts(opts); err != nil {
		return nil, opErr("create", name, err)
	}
	if anonymous {
		labels = maps.Clone(labels)
		if labels == nil {
			labels = map[string]string{}
		}
		labels[AnonymousLabel] = ""
	}
	v := &Volume{
		Name:       name,
		Driver:     DefaultDriver,
		Mountpoint: s.dataPath(name),
		CreatedAt:  time.Now(),
		Labels:     maps.Clone(labels),
		Options:    maps.Clone(opts),
		Anonymous:  anonymous,
	}
	if err := s.createOnDisk(v); err != nil {
		return nil, opErr("create", name, err)
	}
	s.vols[name] = v
	s.emit("create", name, map[string]string{"driver": v.Driver})
	return v.clone(), nil
}

func (s *Service) createOnDisk(v *Volume) (retErr error) {
	tmp, err := os.MkdirTemp(s.root, ".create-")
	if err != nil {
		return fmt.Errorf("error while creating volume root path: %w", err)
	}
	final := filepath.Join(s.root, v.Name)
	renamed := false
	defer func() {
		if retErr == nil {
			return
		}
		if renamed {
			_ = os.RemoveAll(final)
		}
		_ = os.RemoveAll(tmp)
	}()
	// Docker: the volume root stays private (0701), the data is 0755.
	if err := os.Chmod(tmp, 0o701); err != nil {
		return err
	}
	if err := os.Mkdir(filepath.Join(tmp, dataDir), 0o755); err != nil {
		return fmt.Errorf("error while creating volume data path: %w", err)
	}
	if err := os.Chmod(filepath.Join(tmp, dataDir), 0o755); err != nil { // umask
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := putRecordTx(tx, v); err != nil {
			return err
		}
		// Rename(2) refuses to replace a non-empty directory; an empty
		// stray one (not a volume we know) may be replaced.
		if err := os.Rename(tmp, final); err != nil {
			if errors.Is(err, os.ErrExist) || errors.Is(err, errNotEmpty) {
				return errdefs.Conflict("a directory named %s already exists in the volume root", v.Name)
			}
			return err
		}
		renamed = true
		return nil
	})
}

// randomID is Docker's stringid.GenerateRandomID: 32 random bytes in hex,
// never all digits in its short form (it would read as a number).
func randomID() string {
	b := make([]byte, 32)
	for {
		_, _ = rand.Read(b)
		id := hex.EncodeToString(b)
		if _, err := strconv.ParseInt(id[:12], 10, 64); err != nil {
			return id
		}
	}
}

var errNotEmpty = syscall.ENOTEMPTY
