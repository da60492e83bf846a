package container

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/berth-project/berth/internal/errdefs"
	bolt "go.etcd.io/bbolt"
)

func openStore(t *testing.T, path string) (*Store, *bolt.DB) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewStore(db)
	if err != nil {
		t.Fatal(err)
	}
	return s, db
}

func TestStorePersistsAndResolves(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	s, db := openStore(t, path)
	c := &Container{ID: NewID(), Name: "/web", Created: time.Now()}
	if err := s.Reserve(c.Name, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(c); err != nil {
		t.Fatal(err)
	}
	other := NewID()
	if err := s.Reserve("/web", other); !errdefs.IsConflict(err) {
		t.Fatalf("want conflict, got %v", err)
	}
	db.Close()

	s, db = openStore(t, path)
	defer db.Close()
	for _, ref := range []string{c.ID, "web", "/web", c.ID[:5]} {
		got, err := s.Get(ref)
		if err != nil || got.ID != c.ID {
			t.Errorf("Get(%q) = %v, %v", ref, got, err)
		}
	}
	if _, err := s.Get("nope"); !errdefs.IsNotFound(err) || err.Error() != "No such container: nope" {
		t.Errorf("want Docker's not found, got %v", err)
	}
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"web", "/web", true},
		{"/web-1.a_b", "/web-1.a_b", true},
		{"a", "", false},
		{"-x", "", false},
		{"a/b", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, err := ValidateName(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ValidateName(%q) = %q, %v", tt.in, got, err)
		}
	}
}
