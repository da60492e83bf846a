package volume

import "sort"

// AddRef records that a container uses the volume, which makes it "in
// use" for Remove, Prune and the dangling filter. References live in
// memory only: the container records are the truth, and the lifecycle
// re-adds them when the daemon starts.
func (s *Service) AddRef(name, containerID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.get("get", name); err != nil {
		return err
	}
	if s.refs[name] == nil {
		s.refs[name] = map[string]struct{}{}
	}
	s.refs[name][containerID] = struct{}{}
	return nil
}

// RemoveRef drops a container's reference; unknown names are ignored so
// container removal can release everything it holds without checks.
func (s *Service) RemoveRef(name, containerID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.refs[name], containerID)
	if len(s.refs[name]) == 0 {
		delete(s.refs, name)
	}
}

// Refs lists the containers referencing the volume, sorted.
func (s *Service) Refs(name string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.refs[name]))
	for id := range s.refs[name] {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
