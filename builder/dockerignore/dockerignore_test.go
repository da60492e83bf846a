package dockerignore

import (
	"os"
	"path/filepath"
	"testing"
)

func TestExcluded(t *testing.T) {
	tests := []struct {
		patterns []string
		path     string
		want     bool
	}{
		{nil, "a", false},
		{[]string{"*.log"}, "x.log", true},
		{[]string{"*.log"}, "dir/x.log", false},
		{[]string{"**/*.log"}, "dir/sub/x.log", true},
		{[]string{"build"}, "build/out/a.o", true},
		{[]string{"build", "!build/keep"}, "build/keep", false},
		{[]string{"build", "!build/keep"}, "build/other", true},
		{[]string{"*", "!src"}, "src/main.go", false},
		{[]string{"*", "!src"}, "README", true},
		{[]string{"**"}, "deep/er/file", true},
		{[]string{"a/**/b"}, "a/x/y/b", true},
		{[]string{"!x"}, "x", false},
	}
	for _, tt := range tests {
		m, err := New(tt.patterns)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Excluded(tt.path); got != tt.want {
			t.Errorf("%v: Excluded(%q) = %v, want %v", tt.patterns, tt.path, got, tt.want)
		}
	}
}

func TestSkipDir(t *testing.T) {
	tests := []struct {
		patterns []string
		dir      string
		want     bool
	}{
		{[]string{"node_modules"}, "node_modules", true},
		{[]string{"node_modules", "!node_modules/keep"}, "node_modules", false},
		{[]string{"data", "!*.md"}, "data", false},
		{[]string{"data", "!src/x"}, "data", true},
		{[]string{"src"}, "other", false},
	}
	for _, tt := range tests {
		m, _ := New(tt.patterns)
		if got := m.SkipDir(tt.dir); got != tt.want {
			t.Errorf("%v: SkipDir(%q) = %v, want %v", tt.patterns, tt.dir, got, tt.want)
		}
	}
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte("# c\n*.tmp\n"), 0o644)
	got, err := Read(dir, "Dockerfile")
	if err != nil || len(got) != 1 || got[0] != "*.tmp" {
		t.Fatalf("Read = %v, %v", got, err)
	}
	os.WriteFile(filepath.Join(dir, "Dockerfile.dockerignore"), []byte("secret\n"), 0o644)
	got, _ = Read(dir, "Dockerfile")
	if len(got) != 1 || got[0] != "secret" {
		t.Fatalf("Dockerfile.dockerignore not preferred: %v", got)
	}
	got, _ = Read(t.TempDir(), "Dockerfile")
	if got != nil {
		t.Fatalf("no file: %v", got)
	}
}
