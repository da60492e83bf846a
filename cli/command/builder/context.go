package builder

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/berth-project/berth/internal/tarwrite"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-project/berth/builder/dockerignore"
)

// buildInput is what the CLI sends: a tar body, or a remote for the daemon
// to fetch, and the Dockerfile name inside the context.
type buildInput struct {
	body       io.Reader
	remote     string
	dockerfile string
}

// isRemote tells URLs and git references the daemon fetches itself.
func isRemote(s string) bool {
	for _, p := range []string{"http://", "https://", "git://", "git@", "github.com/"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// prepareInput turns the CLI's PATH | URL | - and -f into a request body,
// as the docker CLI does: a directory is tarred without what
// .dockerignore excludes (the Dockerfile and .dockerignore always go);
// a Dockerfile outside the context, or read from stdin with -f -, is
// added under a random name.
func prepareInput(arg, dockerfile string, stdin io.Reader, compress bool) (*buildInput, error) {
	switch {
	case arg == "-":
		if dockerfile == "-" {
			return nil, errors.New("invalid argument: can't use stdin for both build context and dockerfile")
		}
		br := bufio.NewReader(stdin)
		head, _ := br.Peek(512)
		if looksLikeArchive(head) {
			return &buildInput{body: br, dockerfile: dockerfile}, nil
		}
		// A Dockerfile on stdin: an otherwise empty context.
		df, err := io.ReadAll(br)
		if err != nil {
			return nil, err
		}
		return &buildInput{body: singleFileTar("Dockerfile", df), dockerfile: "Dockerfile"}, nil
	case isRemote(arg):
		if dockerfile == "-" {
			return nil, errors.New("Dockerfile from stdin is not supported with a remote build context")
		}
		return &buildInput{remote: arg, dockerfile: dockerfile}, nil
	}
	dir, err := filepath.Abs(arg)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("unable to prepare context: path %q not found", arg)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("unable to prepare context: context must be a directory: %s", dir)
	}
	var extraName string
	var extra []byte
	rel := "Dockerfile"
	dfAbs := filepath.Join(dir, "Dockerfile")
	switch {
	case dockerfile == "-":
		if extra, err = io.ReadAll(stdin); err != nil {
			return nil, err
		}
		extraName = randomDockerfileName()
		rel = extraName
	case dockerfile != "":
		p := dockerfile
		if !filepath.IsAbs(p) {
			// -f is relative to the current directory, like docker's.
			if p, err = filepath.Abs(p); err != nil {
				return nil, err
			}
		}
		dfAbs = p
		if r, err := filepath.Rel(dir, p); err == nil && !strings.HasPrefix(r, "..") {
			rel = filepath.ToSlash(r)
		} else {
			if extra, err = os.ReadFile(p); err != nil {
				return nil, fmt.Errorf("unable to prepare context: unable to evaluate symlinks in Dockerfile path: %w", err)
			}
			extraName = randomDockerfileName()
			rel = extraName
		}
	default:
		if _, err := os.Stat(filepath.Join(dir, "Dockerfile")); err != nil {
			return nil, fmt.Errorf("unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat %s: no such file or directory", filepath.Join(dir, "Dockerfile"))
		}
	}
	patterns, err := dockerignore.Read(dir, dfAbs)
	if err != nil {
		return nil, err
	}
	m, err := dockerignore.New(patterns)
	if err != nil {
		return nil, fmt.Errorf("error checking context: %w", err)
	}
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(writeContext(pw, dir, m, rel, extraName, extra, compress))
	}()
	return &buildInput{body: pr, dockerfile: rel}, nil
}

func looksLikeArchive(head []byte) bool {
	for _, magic := range [][]byte{{0x1f, 0x8b, 0x08}, []byte("BZh"), {0xfd, '7', 'z', 'X', 'Z', 0x00}, {0x28, 0xb5, 0x2f, 0xfd}} {
		if bytes.HasPrefix(head, magic) {
			return true
		}
	}
	return len(head) >= 262 && bytes.Equal(head[257:262], []byte("ustar"))
}

func randomDockerfileName() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return ".dockerfile." + hex.EncodeToString(b)
}

func singleFileTar(name string, data []byte) io.Reader {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
	_, _ = tw.Write(data)
	_ = tw.Close()
	return &buf
}

// writeContext tars dir (files owned by root, as docker's CLI sends
// them), skipping excluded paths but never the Dockerfile or
// .dockerignore, then the extra Dockerfile.
func writeContext(w io.Writer, dir string, m *dockerignore.Matcher, dockerfile, extraName string, extra []byte, compress bool) error {
	var out io.Writer = w
	var gz *gzip.Writer
	if compress {
		gz = gzip.NewWriter(w)
		out = gz
	}
	bw := bufio.NewWriterSize(out, 256<<10)
	tw := tar.NewWriter(bw)
	keep := map[string]bool{dockerfile: true, ".dockerignore": true}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if !keep[rel] {
			if d.IsDir() && m.SkipDir(rel) {
				return filepath.SkipDir
			}
			if m.Excluded(rel) {
				return nil
			}
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		return tarwrite.Entry(tw, p, rel, fi, tarwrite.Options{RootOwned: true})
	})
	if err != nil {
		return fmt.Errorf("error checking context: %w", err)
	}
	if extraName != "" {
		if err := tw.WriteHeader(&tar.Header{Name: extraName, Mode: 0o600, Size: int64(len(extra)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		if _, err := tw.Write(extra); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if gz != nil {
		return gz.Close()
	}
	return nil
}
