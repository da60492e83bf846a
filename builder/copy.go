package builder

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/berth-project/berth/internal/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	containertypes "github.com/moby/moby/api/types/container"
)

// copySource is one resolved COPY/ADD source.
type copySource struct {
	root  string // filesystem the source lives in (context or image)
	path  string // host path of the source, inside root
	name  string // as written in the Dockerfile (for messages)
	hash  string // file:<hex> or dir:<hex>
	isURL bool
}

// copyRequest is a COPY or ADD after its flags were read.
type copyRequest struct {
	cmd        string // COPY or ADD
	sd         instructions.SourcesAndDest
	root       string // where sources are resolved
	chown      string
	chmod      string
	preserve   bool // COPY --from without --chown keeps ownership
	decompress bool // ADD extracts local archives
}

func (st *stageState) copy(ctx context.Context, c *instructions.CopyCommand) error {
	if err := buildkitOnly(c.Link, c.Parents, len(c.ExcludePatterns) > 0); err != nil {
		return err
	}
	req := copyRequest{cmd: "COPY", sd: c.SourcesAndDest, root: st.r.ctx.root, chown: c.Chown, chmod: c.Chmod}
	if c.From != "" {
		// --from takes the meta ARGs, as the stage plan read it.
		from, _, err := st.lex.ProcessWord(c.From, shell.EnvsFromSlice(st.args.metaEnv()))
		if err != nil {
			return errdefs.InvalidParameter("%v", err)
		}
		root, release, err := st.fromRoot(ctx, from)
		if err != nil {
			return fmt.Errorf("invalid from flag value %s: %w", c.From, err)
		}
		defer release()
		req.root = root
		req.preserve = c.Chown == ""
	}
	for _, s := range c.SourcePaths {
		if isURL(s) {
			return errdefs.InvalidParameter("source can't be a URL for COPY")
		}
	}
	return st.performCopy(ctx, req)
}

func (st *stageState) add(ctx context.Context, c *instructions.AddCommand) error {
	if err := buildkitOnly(c.Link, false, len(c.ExcludePatterns) > 0); err != nil {
		return err
	}
	if c.Checksum != "" || c.KeepGitDir != nil || c.Unpack != nil {
		return errdefs.InvalidParameter("the --checksum, --keep-git-dir and --unpack options require BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled")
	}
	req := copyRequest{cmd: "ADD", sd: c.SourcesAndDest, root: st.r.ctx.root, chown: c.Chown, chmod: c.Chmod, decompress: true}
	return st.performCopy(ctx, req)
}

func buildkitOnly(link, parents, exclude bool) error {
	flag := ""
	switch {
	case link:
		flag = "link"
	case parents:
		flag = "parents"
	case exclude:
		flag = "exclude"
	}
	if flag == "" {
		return nil
	}
	return errdefs.InvalidParameter("the --%s option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled", flag)
}

// performCopy resolves and hashes the sources, probes the cache with
// Docker's "#(nop) COPY file:<hash> in <dest> " command, and on a miss
// copies onto a scratch layer of the current image.
func (st *stageState) performCopy(ctx context.Context, req copyRequest) error {
	tmp, err := os.MkdirTemp(st.r.b.tmp, "src-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	srcs, err := st.resolveSources(ctx, req, tmp)
	if err != nil {
		return err
	}
	dest := req.sd.DestPath
	if len(srcs) > 1 && !strings.HasSuffix(dest, "/") {
		return errdefs.InvalidParameter("When using %s with more than one source file, the destination must be a directory and end with a /", req.cmd)
	}
	hashes := make([]string, len(srcs))
	for i, s := range srcs {
		hashes[i] = s.hash
	}
	srcHash := hashes[0]
	if len(hashes) > 1 {
		srcHash = hashStrings("multi", hashes)
	}
	flags := ""
	if req.chown != "" {
		flags += "--chown=" + req.chown + " "
	}
	if req.chmod != "" {
		flags += "--chmod=" + req.chmod + " "
	}
	cfg := copyConfig(st.runConfig)
	cfg.Cmd = append(st.shell(), fmt.Sprintf("#(nop) %s %s%s in %s ", req.cmd, flags, srcHash, dest))
	if st.probe(ctx, cfg) {
		return nil
	}
	var mode *os.FileMode
	if req.chmod != "" {
		m, err := strconv.ParseUint(req.chmod, 8, 32)
		if err != nil || m > 0o7777 {
			return errdefs.InvalidParameter("invalid chmod parameter: '%s'. it should be octal string and between 0 and 07777", req.chmod)
		}
		fm := os.FileMode(m)
		mode = &fm
	}
	return st.withScratch(ctx, cfg, func(root string) error {
		dst := normalizeDest(st.runConfig.WorkingDir, dest)
		var own *owner
		if !req.preserve {
			o := owner{}
			if req.chown != "" {
				var err error
				if o, err = parseChown(root, req.chown); err != nil {
					return fmt.Errorf("unable to convert uid/gid chown string to host mapping: %w", err)
				}
			}
			own = &o
		}
		for _, s := range srcs {
			if err := ctx.Err(); err != nil {
				return err
			}
			opts := copyOptions{owner: own, mode: mode, decompress: req.decompress && !s.isURL}
			if err := copyInto(root, dst, s, opts); err != nil {
				return fmt.Errorf("failed to copy files: %w", err)
			}
		}
		return nil
	})
}

// normalizeDest makes a relative destination relative to WORKDIR and
// keeps a trailing slash (it means "into this directory").
func normalizeDest(workdir, dest string) string {
	slash := strings.HasSuffix(dest, "/") || strings.HasSuffix(dest, "/.") || dest == "."
	if !path.IsAbs(dest) {
		if workdir == "" {
			workdir = "/"
		}
		dest = path.Join(workdir, dest)
	}
	dest = path.Clean(dest)
	if slash && dest != "/" {
		dest += "/"
	}
	return dest
}

// resolveSources expands globs and checks every source exists inside its
// root; ADD URLs are downloaded into tmp.
func (st *stageState) resolveSources(ctx context.Context, req copyRequest, tmp string) ([]copySource, error) {
	var out []copySource
	for i, c := range req.sd.SourceContents {
		// COPY <<EOF heredocs: the content is a file of that name.
		dir := filepath.Join(tmp, "heredoc"+strconv.Itoa(i))
		if err := os.Mkdir(dir, 0o700); err != nil {
			return nil, err
		}
		p := filepath.Join(dir, filepath.Base(c.Path))
		if err := os.WriteFile(p, []byte(c.Data), 0o644); err != nil {
			return nil, err
		}
		s := copySource{root: dir, path: p, name: c.Path}
		var err error
		if s.hash, err = hashPath(p); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	for _, orig := range req.sd.SourcePaths {
		if isURL(orig) {
			s, err := st.download(ctx, orig, tmp)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
			continue
		}
		rel := filepath.Clean(filepath.FromSlash(orig))
		if rel == ".." || strings.HasPrefix(rel, "../") {
			return nil, errdefs.InvalidParameter("%s failed: forbidden path outside the build context: %s ()", req.cmd, orig)
		}
		rel = strings.TrimPrefix(filepath.Clean("/"+rel), "/")
		var matches []string
		if strings.ContainsAny(rel, "*?[") {
			var err error
			if matches, err = globInRoot(req.root, rel); err != nil {
				return nil, err
			}
			if len(matches) == 0 {
				return nil, errdefs.InvalidParameter("%s failed: no source files were specified", req.cmd)
			}
		} else {
			matches = []string{rel}
		}
		for _, m := range matches {
			p, err := securejoin.SecureJoin(req.root, m)
			if err != nil {
				return nil, err
			}
			if _, err := os.Lstat(p); err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil, errdefs.InvalidParameter("%s failed: file not found in build context or excluded by .dockerignore: stat %s: file does not exist", req.cmd, orig)
				}
				return nil, err
			}
			h, err := hashPath(p)
			if err != nil {
				return nil, err
			}
			out = append(out, copySource{root: req.root, path: p, name: orig, hash: h})
		}
	}
	if len(out) == 0 {
		return nil, errdefs.InvalidParameter("%s failed: no source files were specified", req.cmd)
	}
	return out, nil
}

// globInRoot matches pattern against every path of root (as the classic
// builder does with filepath.Match); a matched directory is not walked.
func globInRoot(root, pattern string) ([]string, error) {
	if _, err := filepath.Match(pattern, ""); err != nil {
		return nil, errdefs.InvalidParameter("invalid pattern %q: %v", pattern, err)
	}
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		if ok, _ := filepath.Match(pattern, rel); ok {
			out = append(out, rel)
			if d.IsDir() {
				return filepath.SkipDir
			}
		}
		return nil
	})
	return out, err
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// download fetches an ADD URL into tmp (mode 0600, mtime from
// Last-Modified, as Docker).
func (st *stageState) download(ctx context.Context, raw, tmp string) (copySource, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return copySource{}, errdefs.InvalidParameter("%v", err)
	}
	name := path.Base(u.Path)
	if name == "/" || name == "." || name == "" {
		return copySource{}, errdefs.InvalidParameter("cannot determine filename from url: %s", raw)
	}
	st.out.printf("Downloading %s\n", raw)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return copySource{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return copySource{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return copySource{}, fmt.Errorf("failed to GET %s with status %s", raw, resp.Status)
	}
	dir, err := os.MkdirTemp(tmp, "url-")
	if err != nil {
		return copySource{}, err
	}
	p := filepath.Join(dir, name)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return copySource{}, err
	}
	_, err = io.Copy(f, resp.Body)
	f.Close()
	if err != nil {
		return copySource{}, err
	}
	if t, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		_ = os.Chtimes(p, t, t)
	}
	h, err := hashPath(p)
	if err != nil {
		return copySource{}, err
	}
	return copySource{root: dir, path: p, name: raw, hash: h, isURL: true}, nil
}

// fromRoot mounts the image of COPY --from (a stage by name or index, or
// an image) read-only for the step and returns its root.
func (st *stageState) fromRoot(ctx context.Context, from string) (string, func(), error) {
	r := st.r
	var chain string
	found := false
	for j := 0; j < st.index; j++ {
		if r.stages[j].Name != "" && strings.EqualFold(r.stages[j].Name, from) {
			found = true
			if chain, _ = r.stageChain(j); chain == "-" {
				return "", nil, errDependencyFailed
			}
			break
		}
	}
	if !found {
		if n, err := strconv.Atoi(from); err == nil {
			if n < 0 || n >= st.index {
				return "", nil, errors.New("refers to current build stage or one after it")
			}
			if chain, _ = r.stageChain(n); chain == "-" {
				return "", nil, errDependencyFailed
			}
		} else {
			img, err := r.image(ctx, from, st.out, false)
			if err != nil {
				return "", nil, err
			}
			chain = img.ChainID.String()
		}
	}
	id := scratchPrefix + randomID()
	layers := r.b.cfg.Layers
	if err := layers.CreateRW(id, digestOrEmpty(chain)); err != nil {
		return "", nil, err
	}
	root, err := layers.Mount(id)
	if err != nil {
		_ = layers.RemoveRW(id)
		return "", nil, err
	}
	return root, func() {
		_ = layers.Unmount(id)
		_ = layers.RemoveRW(id)
	}, nil
}

// stageChain is the top layer of stage j's image ("-" if it failed).
func (r *buildRun) stageChain(j int) (string, error) {
	id, ok := r.stageImage(j)
	if !ok {
		return "-", errDependencyFailed
	}
	if id == "" {
		return "", nil
	}
	img, err := r.b.cfg.Images.Resolve(id.String())
	if err != nil {
		return "-", err
	}
	return img.ChainID.String(), nil
}

// withScratch runs fn on a fresh rw layer of the current image and
// commits what it changed. The layer is removed whatever happens.
func (st *stageState) withScratch(ctx context.Context, cfg *containertypes.Config, fn func(root string) error) error {
	layers := st.r.b.cfg.Layers
	id := scratchPrefix + randomID()
	if err := layers.CreateRW(id, st.chainID); err != nil {
		return err
	}
	async := false
	defer func() {
		if async {
			// Deleting the copied files only frees space: it need not hold
			// up the build (a daemon stopped meanwhile removes build-*
			// layers at its next start).
			go layers.RemoveRW(id)
			return
		}
		_ = layers.RemoveRW(id)
	}()
	root, err := layers.Mount(id)
	if err != nil {
		return err
	}
	err = fn(root)
	if uerr := layers.Unmount(id); err == nil {
		err = uerr
	}
	if err != nil {
		return err
	}
	tar, err := layers.DiffTar(id)
	if err != nil {
		return err
	}
	defer tar.Close()
	if err = st.commit(ctx, tar, cfg, ""); err == nil {
		async = true
	}
	return err
}

func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b) + strconv.FormatInt(time.Now().UnixNano()%1000, 10)
}
