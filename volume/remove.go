package volume

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
	"github.com/moby/sys/mountinfo"
	bolt "go.etcd.io/bbolt"
)

// Remove deletes a volume and its data. A volume in use by a container is
// a Conflict (Docker's "volume is in use - [ids]"), force or not; force
// only makes a missing volume a success, as in Docker.
func (s *Service) Remove(ctx context.Context, name string, force bool) error {
	if err := contextErr(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	v, ok := s.vols[name]
	if !ok {
		s.mu.Unlock()
		if force {
			return nil
		}
		return errNoSuchVolume("get", name)
	}
	trash, err := s.detach(v)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	s.purge(trash)
	return nil
}

// detach takes a volume out of the store: it checks it is unused,
// unmounts its options mount, moves its directory aside and deletes its
// record, undoing the move if the record cannot go. The returned directory
// is deleted by purge outside the lock, since deleting data can be slow.
// Called with s.mu held.
func (s *Service) detach(v *Volume) (string, error) {
	if ids := s.users(v.Name); len(ids) > 0 {
		return "", errInUse("remove", v.Name, ids)
	}
	if a := s.active[v.Name]; a != nil && a.mounted {
		if err := s.unmount(v.Name, a); err != nil {
			return "", opErr("remove", v.Name, err)
		}
	}
	delete(s.active, v.Name)
	dir := filepath.Join(s.root, v.Name)
	// Never delete through a mount: a bind-type volume's _data is the
	// user's own directory while mounted.
	if m := mountsUnder(dir); m != "" {
		return "", opErr("remove", v.Name, fmt.Errorf("%s is still mounted", m))
	}
	trash, err := os.MkdirTemp(s.root, ".remove-")
	if err != nil {
		return "", opErr("remove", v.Name, err)
	}
	moved := filepath.Join(trash, v.Name)
	if err := os.Rename(dir, moved); err != nil && !errors.Is(err, os.ErrNotExist) {
		_ = os.Remove(trash)
		return "", opErr("remove", v.Name, fmt.Errorf("error removing volume path '%s': %w", dir, err))
	}
	err = s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Delete([]byte(v.Name)) })
	if err != nil {
		_ = os.Rename(moved, dir)
		_ = os.Remove(trash)
		return "", opErr("remove", v.Name, err)
	}
	delete(s.vols, v.Name)
	delete(s.refs, v.Name)
	s.emit("destroy", v.Name, map[string]string{"driver": v.Driver})
	return trash, nil
}

// mountsUnder names a mount point at or below path ("" if none). An
// unreadable mount table counts as mounted: removal must not guess.
func mountsUnder(path string) string {
	mounts, err := mountinfo.GetMounts(mountinfo.PrefixFilter(path))
	if err != nil {
		return path
	}
	if len(mounts) > 0 {
		return mounts[0].Mountpoint
	}
	return ""
}

func (s *Service) purge(trash string) {
	if err := os.RemoveAll(trash); err != nil {
		// load() retries on the next start.
		slog.Warn("volumes: cannot delete removed volume data", "path", trash, "err", err)
	}
}

// users lists the containers that reference or mount the volume.
func (s *Service) users(name string) []string {
	set := map[string]struct{}{}
	for id := range s.refs[name] {
		set[id] = struct{}{}
	}
	if a := s.active[name]; a != nil {
		for id := range a.users {
			set[id] = struct{}{}
		}
	}
	ids := make([]string, 0, len(set))
	for id := range set {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Prune removes unused local volumes matching f and reports their names
// and the bytes their data used. Docker ≥ 23 semantics: only anonymous
// volumes unless all=true; label and label! filters. Volumes created with
// mount options are never pruned (their data is not local; Docker skips
// them too).
func (s *Service) Prune(ctx context.Context, f filters.Args) (deleted []string, reclaimed uint64, err error) {
	if !s.pruning.CompareAndSwap(false, true) {
		return nil, 0, errdefs.Conflict("a prune operation is already running")
	}
	defer s.pruning.Store(false)
	if err := f.Validate("label", "label!", "all"); err != nil {
		return nil, 0, err
	}
	all := false
	switch vals := f.Get("all"); {
	case len(vals) > 1:
		return nil, 0, errdefs.InvalidParameter("invalid filter 'all=%s': only one value is expected", vals)
	case len(vals) == 1:
		b, perr := strconv.ParseBool(vals[0])
		if perr != nil {
			return nil, 0, errdefs.InvalidParameter("invalid filter 'all': %v", perr)
		}
		all = b
	}
	match, err := s.matcher(f)
	if err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	var candidates []string
	for name, v := range s.vols {
		if (all || v.Anonymous) && !v.needsMount() && len(s.users(name)) == 0 && match(v) {
			candidates = append(candidates, name)
		}
	}
	s.mu.Unlock()
	sort.Strings(candidates)
	deleted = []string{}
	for _, name := range candidates {
		if err := contextErr(ctx); err != nil {
			if errors.Is(err, context.Canceled) {
				err = nil
			}
			return deleted, reclaimed, err
		}
		size, _ := s.Size(name)
		// Re-check under the lock: a container may have taken it since.
		s.mu.Lock()
		v, ok := s.vols[name]
		var trash string
		if ok {
			trash, err = s.detach(v)
		}
		s.mu.Unlock()
		if !ok || err != nil {
			if err != nil {
				slog.Warn("prune: could not remove volume", "volume", name, "err", err)
			}
			continue
		}
		s.purge(trash)
		if size > 0 {
			reclaimed += uint64(size)
		}
		deleted = append(deleted, name)
	}
	s.emit("prune", "", map[string]string{"reclaimed": strconv.FormatUint(reclaimed, 10)})
	return deleted, reclaimed, nil
}
