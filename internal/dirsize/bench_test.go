package dirsize

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkSize walks every directory matching $DIRSIZE_GLOB (e.g. a
// daemon's volumes/*/_data) per iteration, with the walker and with the
// path-based reference, to compare their cost on real trees.
func BenchmarkSize(b *testing.B) {
	dirs, _ := filepath.Glob(os.Getenv("DIRSIZE_GLOB"))
	if len(dirs) == 0 {
		b.Skip("set DIRSIZE_GLOB to directories to measure")
	}
	b.Run("fd", func(b *testing.B) {
		for b.Loop() {
			for _, d := range dirs {
				if _, err := Size(context.Background(), d); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("path", func(b *testing.B) {
		for b.Loop() {
			for _, d := range dirs {
				walkSize(b, d)
			}
		}
	})
}
