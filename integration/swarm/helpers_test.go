package swarm

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func onTmpfs(path string) bool {
	var st unix.Statfs_t
	if path == "" || unix.Statfs(filepath.Dir(path), &st) != nil {
		return false
	}
	return st.Type == unix.TMPFS_MAGIC
}
