package builder

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/berth-project/berth/builder/dockerignore"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/layer/archive"
	securejoin "github.com/cyphar/filepath-securejoin"
)

// buildContext is an extracted build context.
type buildContext struct {
	root       string // the context directory (inside dir for git subdirs)
	dir        string // what cleanup removes
	dockerfile []byte
	// dfName is the Dockerfile's path relative to root ("" when it came
	// from outside the context, e.g. a plain Dockerfile body).
	dfName string
}

func (c *buildContext) cleanup() {
	if c.dir != "" {
		os.RemoveAll(c.dir)
	}
}

// maxDockerfileSize bounds what we read as a Dockerfile.
const maxDockerfileSize = 16 << 20

// openContext reads the request's context into a fresh directory under
// tmp: the body as a tar (plain, gzip, bzip2, xz), a plain Dockerfile
// body, or the remote git/URL source. Files the .dockerignore excludes are
// removed, and with them the Dockerfile and .dockerignore if excluded.
func openContext(ctx context.Context, tmp string, opts *Options, body io.Reader, out io.Writer) (_ *buildContext, retErr error) {
	dir, err := os.MkdirTemp(tmp, "ctx-")
	if err != nil {
		return nil, fmt.Errorf("build context: %w", err)
	}
	bc := &buildContext{root: dir, dir: dir}
	defer func() {
		if retErr != nil {
			bc.cleanup()
		}
	}()
	plainDockerfile := false
	switch {
	case opts.Remote != "" && isGitURL(opts.Remote):
		if bc.root, err = cloneGit(ctx, opts.Remote, dir); err != nil {
			return nil, err
		}
	case opts.Remote != "" && opts.Remote != "context":
		if plainDockerfile, err = fetchURL(ctx, opts.Remote, dir, out); err != nil {
			return nil, err
		}
	default:
		if plainDockerfile, err = readBody(body, dir); err != nil {
			return nil, err
		}
	}
	name := opts.Dockerfile
	if name == "" || plainDockerfile {
		name = "Dockerfile"
	}
	if err := bc.readDockerfile(name); err != nil {
		return nil, err
	}
	if err := bc.applyIgnore(); err != nil {
		return nil, err
	}
	return bc, nil
}

// readBody extracts a tar body into dir; a body that is no archive is a
// Dockerfile (`docker build - < Dockerfile` through an API client that
// did not wrap it).
func readBody(body io.Reader, dir string) (plain bool, err error) {
	if body == nil {
		body = bytes.NewReader(nil)
	}
	br := bufio.NewReaderSize(body, 64<<10)
	head, _ := br.Peek(512)
	if archive.DetectCompression(head) == archive.Uncompressed && !looksLikeTar(head) {
		data, err := io.ReadAll(io.LimitReader(br, maxDockerfileSize+1))
		if err != nil {
			return false, fmt.Errorf("read build context: %w", err)
		}
		if len(data) > maxDockerfileSize {
			return false, errdefs.InvalidParameter("the build context is neither a tar archive nor a Dockerfile of at most %d bytes", maxDockerfileSize)
		}
		return true, os.WriteFile(filepath.Join(dir, "Dockerfile"), data, 0o644)
	}
	return false, extractTar(br, dir)
}

// looksLikeTar checks the ustar magic (or an all-zero end block of an
// empty tar).
func looksLikeTar(head []byte) bool {
	if len(head) >= 262 && (bytes.Equal(head[257:262], []byte("ustar"))) {
		return true
	}
	return len(head) == 512 && bytes.Equal(head, make([]byte, 512))
}

func extractTar(r io.Reader, dir string) error {
	rc, err := archive.DecompressStream(r)
	if err != nil {
		return errdefs.InvalidParameter("read build context: %v", err)
	}
	defer rc.Close()
	// Devices are refused and ownership is kept as sent; COPY sets it.
	if _, err := archive.Apply(dir, rc, archive.ApplyOptions{Whiteouts: archive.WhiteoutNone}); err != nil {
		return errdefs.InvalidParameter("read build context: %v", err)
	}
	return nil
}

// readDockerfile loads the Dockerfile, which must be a regular file inside
// the context (symlinks resolved within it).
func (c *buildContext) readDockerfile(name string) error {
	p, err := securejoin.SecureJoin(c.root, name)
	if err != nil {
		return err
	}
	// O_NONBLOCK: a hostile context's FIFO named Dockerfile must not
	// hang the build on open.
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return errdefs.InvalidParameter("Cannot locate specified Dockerfile: %s", name)
		}
		return err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return errdefs.InvalidParameter("Cannot locate specified Dockerfile: %s", name)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxDockerfileSize+1))
	if err != nil {
		return err
	}
	if len(data) > maxDockerfileSize {
		return errdefs.InvalidParameter("Dockerfile %s is larger than %d bytes", name, maxDockerfileSize)
	}
	c.dockerfile = data
	rel, _ := filepath.Rel(c.root, p)
	c.dfName = filepath.ToSlash(rel)
	return nil
}

// applyIgnore removes what .dockerignore excludes (the docker CLI already
// left it out; other API clients may not have).
func (c *buildContext) applyIgnore() error {
	patterns, err := dockerignore.Read(c.root, c.dfName)
	if err != nil {
		return fmt.Errorf("read .dockerignore: %w", err)
	}
	m, err := dockerignore.New(patterns)
	if err != nil {
		return errdefs.InvalidParameter("invalid .dockerignore: %v", err)
	}
	if m.Empty() {
		return nil
	}
	var remove []string
	err = filepath.WalkDir(c.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(c.root, p)
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if m.SkipDir(rel) {
				remove = append(remove, p)
				return filepath.SkipDir
			}
			return nil
		}
		if m.Excluded(rel) {
			remove = append(remove, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range remove {
		if err := os.RemoveAll(p); err != nil {
			return err
		}
	}
	return nil
}

// isGitURL follows Docker's urlutil: git://, git@, github.com/ or an
// http(s) URL whose path ends in .git.
func isGitURL(s string) bool {
	if strings.HasPrefix(s, "git://") || strings.HasPrefix(s, "git@") || strings.HasPrefix(s, "github.com/") {
		return true
	}
	if strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") {
		u, _, _ := strings.Cut(s, "#")
		return strings.HasSuffix(u, ".git")
	}
	return false
}

// cloneGit fetches url#ref:subdir into dir and returns the context root.
func cloneGit(ctx context.Context, remote, dir string) (string, error) {
	u, frag, _ := strings.Cut(remote, "#")
	ref, sub, _ := strings.Cut(frag, ":")
	if strings.HasPrefix(u, "github.com/") {
		u = "https://" + u
	}
	git := func(args ...string) error {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("error fetching: %s: %w", strings.TrimSpace(string(out)), err)
		}
		return nil
	}
	if err := git("init", "-q"); err != nil {
		return "", err
	}
	if err := git("remote", "add", "origin", u); err != nil {
		return "", err
	}
	fetchRef := ref
	if fetchRef == "" {
		fetchRef = "HEAD"
	}
	if err := git("fetch", "-q", "--depth", "1", "origin", fetchRef); err != nil {
		// A commit that is no branch tip needs the full history.
		if err2 := git("fetch", "-q", "origin"); err2 != nil {
			return "", errdefs.InvalidParameter("unable to prepare context: unable to 'git clone' to temporary context directory: %v", err)
		}
		fetchRef = ref
	} else {
		fetchRef = "FETCH_HEAD"
	}
	if err := git("checkout", "-q", fetchRef); err != nil {
		return "", errdefs.InvalidParameter("unable to prepare context: %v", err)
	}
	_ = git("submodule", "update", "--init", "--recursive", "--depth", "1")
	os.RemoveAll(filepath.Join(dir, ".git"))
	root := dir
	if sub != "" {
		p, err := securejoin.SecureJoin(dir, path.Clean("/"+sub))
		if err != nil {
			return "", err
		}
		if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
			return "", errdefs.InvalidParameter("unable to prepare context: subdirectory %s not found in the repository", sub)
		}
		root = p
	}
	return root, nil
}

// fetchURL downloads a remote tar or Dockerfile (remote=http...).
func fetchURL(ctx context.Context, u, dir string, out io.Writer) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false, errdefs.InvalidParameter("unable to prepare context: %v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, errdefs.InvalidParameter("unable to prepare context: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return false, errdefs.InvalidParameter("unable to prepare context: failed to GET %s with status %s", u, resp.Status)
	}
	fmt.Fprintf(out, "Downloading build context from remote url: %s\n", u)
	return readBody(resp.Body, dir)
}
