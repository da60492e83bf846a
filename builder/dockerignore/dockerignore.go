// Package dockerignore reads .dockerignore files and decides which context
// paths they exclude, with Docker's rules (moby/patternmatcher: `**`, `!`
// exceptions, the last matching pattern wins). Both the CLI (when it tars
// a context directory) and the daemon (on the context it receives) use it.
package dockerignore

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// Read returns the patterns that apply to a build of dockerfile (a path
// relative to the context dir, or absolute): `<Dockerfile>.dockerignore`
// next to the Dockerfile wins over the context's `.dockerignore`. A
// missing file means no patterns.
func Read(contextDir, dockerfile string) ([]string, error) {
	var candidates []string
	if dockerfile != "" {
		p := dockerfile
		if !filepath.IsAbs(p) {
			p = filepath.Join(contextDir, p)
		}
		candidates = append(candidates, p+".dockerignore")
	}
	candidates = append(candidates, filepath.Join(contextDir, ".dockerignore"))
	for _, c := range candidates {
		// Only a regular file counts: a FIFO from a hostile context must
		// not block the open.
		if fi, err := os.Stat(c); err != nil || !fi.Mode().IsRegular() {
			if err == nil || errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, err
		}
		f, err := os.OpenFile(c, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return ignorefile.ReadAll(f)
	}
	return nil, nil
}

// Matcher decides exclusion of slash-separated paths relative to the
// context root.
type Matcher struct {
	pm         *patternmatcher.PatternMatcher
	exclusions bool
}

// New compiles patterns; nil patterns exclude nothing.
func New(patterns []string) (*Matcher, error) {
	if len(patterns) == 0 {
		return &Matcher{}, nil
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, err
	}
	return &Matcher{pm: pm, exclusions: pm.Exclusions()}, nil
}

// Excluded reports whether rel is excluded. Parent directories are
// checked too, so a file under an excluded directory is excluded unless
// an exception names it.
func (m *Matcher) Excluded(rel string) bool {
	if m == nil || m.pm == nil {
		return false
	}
	rel = strings.TrimPrefix(path.Clean("/"+filepath.ToSlash(rel)), "/")
	if rel == "" {
		return false
	}
	ok, _ := m.pm.MatchesOrParentMatches(rel)
	return ok
}

// SkipDir reports whether a walk may skip the excluded directory rel
// entirely: only when no exception pattern could re-include something
// below it.
func (m *Matcher) SkipDir(rel string) bool {
	if !m.Excluded(rel) {
		return false
	}
	if !m.exclusions {
		return true
	}
	dir := strings.TrimPrefix(path.Clean("/"+filepath.ToSlash(rel)), "/") + "/"
	for _, p := range m.pm.Patterns() {
		if !p.Exclusion() {
			continue
		}
		s := p.String()
		// An exception could match below rel if it starts with rel's path
		// or has a wildcard before that point.
		if strings.HasPrefix(s, dir) || strings.ContainsAny(s, "*?[\\") {
			return false
		}
	}
	return true
}

// Empty reports whether m excludes nothing.
func (m *Matcher) Empty() bool { return m == nil || m.pm == nil }
