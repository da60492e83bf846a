package build

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func tarBytes(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for n, c := range files {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(c)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(c))
	}
	tw.Close()
	return buf.Bytes()
}

func compressWith(t *testing.T, prog string, data []byte) []byte {
	t.Helper()
	if prog == "gzip" {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(data)
		zw.Close()
		return buf.Bytes()
	}
	if _, err := exec.LookPath(prog); err != nil {
		t.Skipf("%s not installed", prog)
	}
	cmd := exec.Command(prog, "-c")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// apiBuild posts a context to /build and returns the raw JSON stream.
func apiBuild(t *testing.T, hc *http.Client, query url.Values, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://berth/build?"+query.Encode(), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-tar")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestContextCompression: the API takes plain, gzip, bzip2 and xz tars.
func TestContextCompression(t *testing.T) {
	d := daemon(t)
	plain := tarBytes(t, map[string]string{"Dockerfile": "FROM busybox\nCOPY f /f\n", "f": "data\n"})
	for _, prog := range []string{"", "gzip", "bzip2", "xz"} {
		t.Run("tar"+prog, func(t *testing.T) {
			body := plain
			if prog != "" {
				body = compressWith(t, prog, plain)
			}
			tag := "it-ctx-plain" + prog
			rmi(t, d, tag)
			code, out := apiBuild(t, d.HTTPClient(), url.Values{"t": {tag}}, body)
			// Docker's framing: the step line, then its newline, then
			// " ---> <id>"; aux with the ID before "Successfully built".
			if code != 200 || !strings.Contains(out, `{"stream":"Step 1/2 : FROM busybox"}`+"\n"+`{"stream":"\n"}`) ||
				!strings.Contains(out, `"aux":{"ID":"sha256:`) || strings.Index(out, `"aux"`) > strings.Index(out, "Successfully built") ||
				!strings.Contains(out, "Successfully tagged "+tag+":latest") {
				t.Fatalf("%d %s", code, out)
			}
			if got, _ := d.Run("run", "--rm", tag, "cat", "/f"); got != "data\n" {
				t.Errorf("content %q", got)
			}
		})
	}
}

// TestDockerignore: `**` patterns and `!` exceptions, and a
// <Dockerfile>.dockerignore that wins over .dockerignore.
func TestDockerignore(t *testing.T) {
	d := daemon(t)
	files := map[string]string{
		"Dockerfile":    "FROM busybox\nCOPY . /ctx\nRUN cd /ctx && find . -type f | sort > /list\n",
		".dockerignore": "**/*.log\n!important.log\nsecret\n",
		"a.log":         "x", "deep/er/b.log": "x", "important.log": "keep", "secret/key": "k", "src/main.go": "m",
		"alt.Dockerfile":              "FROM busybox\nCOPY . /ctx\nRUN cd /ctx && find . -type f | sort > /list\n",
		"alt.Dockerfile.dockerignore": "src\n",
	}
	dir := writeFiles(t, files)
	rmi(t, d, "it-ignore")
	for name, bin := range clis(t, d) {
		out, err := cli(d, bin, dir, "", "build", "--no-cache", "-t", "it-ignore", ".")
		if err != nil {
			t.Fatal(name, err, out)
		}
		list, _ := cli(d, bin, dir, "", "run", "--rm", "it-ignore", "cat", "/list")
		for _, want := range []string{"./important.log", "./src/main.go", "./Dockerfile", "./.dockerignore"} {
			if !strings.Contains(list, want+"\n") {
				t.Errorf("%s: %s missing:\n%s", name, want, list)
			}
		}
		for _, gone := range []string{"a.log", "b.log", "secret"} {
			if strings.Contains(list, gone) {
				t.Errorf("%s: %s not ignored:\n%s", name, gone, list)
			}
		}
	}
	// Our CLI (as BuildKit) reads <Dockerfile>.dockerignore first.
	out, err := cli(d, filepath.Join(d.Bin, "berth"), dir, "", "build", "--no-cache", "-f", "alt.Dockerfile", "-t", "it-ignore", ".")
	if err != nil {
		t.Fatal(err, out)
	}
	list, _ := d.Run("run", "--rm", "it-ignore", "cat", "/list")
	if strings.Contains(list, "src/main.go") || !strings.Contains(list, "a.log") {
		t.Errorf("alt.Dockerfile.dockerignore not applied:\n%s", list)
	}
}

// TestDockerfileSources: -f outside the context, the Dockerfile on stdin
// (`-f -` and `-`), and a tar on stdin.
func TestDockerfileSources(t *testing.T) {
	d := daemon(t)
	ctx := writeFiles(t, map[string]string{"f": "ctx\n"})
	outside := writeFiles(t, map[string]string{"Dockerfile.out": "FROM busybox\nCOPY f /f\n"})
	df := "FROM busybox\nRUN echo stdin > /s\n"
	tarCtx := tarBytes(t, map[string]string{"Dockerfile": "FROM busybox\nCOPY f /f\n", "f": "from-tar\n"})
	rmi(t, d, "it-src")
	for name, bin := range clis(t, d) {
		cases := []struct {
			what, stdin, check, want string
			args                     []string
		}{
			{"-f outside", "", "/f", "ctx\n", []string{"-f", filepath.Join(outside, "Dockerfile.out"), ctx}},
			{"-f -", "FROM busybox\nCOPY f /f\n", "/f", "ctx\n", []string{"-f", "-", ctx}},
			{"Dockerfile on stdin", df, "/s", "stdin\n", []string{"-"}},
			{"tar on stdin", string(tarCtx), "/f", "from-tar\n", []string{"-"}},
		}
		for _, c := range cases {
			out, err := cli(d, bin, ctx, c.stdin, append([]string{"build", "-t", "it-src"}, c.args...)...)
			if err != nil {
				t.Errorf("%s %s: %v\n%s", name, c.what, err, out)
				continue
			}
			if got, _ := d.Run("run", "--rm", "it-src", "cat", c.check); got != c.want {
				t.Errorf("%s %s: %s = %q", name, c.what, c.check, got)
			}
		}
	}
}

// TestGitContext builds url#ref:subdir from a repository served over
// HTTP on 127.0.0.1 (git's dumb protocol from a file server).
func TestGitContext(t *testing.T) {
	d := daemon(t)
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	work := writeFiles(t, map[string]string{"sub/Dockerfile": "FROM busybox\nCOPY f /f\n", "sub/f": "from-git-v2\n"})
	git := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git(work, "init", "-q", "-b", "main")
	os.WriteFile(filepath.Join(work, "sub/f"), []byte("from-git-v1\n"), 0o644)
	git(work, "add", ".")
	git(work, "commit", "-qm", "v1")
	git(work, "tag", "v1")
	os.WriteFile(filepath.Join(work, "sub/f"), []byte("from-git-v2\n"), 0o644)
	git(work, "commit", "-qam", "v2")
	served := t.TempDir()
	git(served, "clone", "-q", "--bare", work, "repo.git")
	git(filepath.Join(served, "repo.git"), "update-server-info")
	srv := httptest.NewServer(http.FileServer(http.Dir(served)))
	defer srv.Close()
	rmi(t, d, "it-git")
	// The docker CLI clones a git context itself, into a docker-build-git*
	// dir of TMPDIR that it leaves behind: keep those in the test's own.
	t.Setenv("TMPDIR", t.TempDir())
	for name, bin := range clis(t, d) {
		for ref, want := range map[string]string{"main": "from-git-v2\n", "v1": "from-git-v1\n"} {
			u := srv.URL + "/repo.git#" + ref + ":sub"
			out, err := cli(d, bin, t.TempDir(), "", "build", "-t", "it-git", u)
			if err != nil {
				t.Errorf("%s %s: %v\n%s", name, u, err, out)
				continue
			}
			if got, _ := d.Run("run", "--rm", "it-git", "cat", "/f"); got != want {
				t.Errorf("%s %s: /f = %q, want %q", name, ref, got, want)
			}
		}
	}
}

// TestURLContext: a remote Dockerfile and a remote tar, served on
// 127.0.0.1 (the docker CLI downloads them itself, ours lets the daemon
// fetch them with remote=).
func TestURLContext(t *testing.T) {
	d := daemon(t)
	tarball := tarBytes(t, map[string]string{"Dockerfile": "FROM busybox\nCOPY f /f\n", "f": "remote-tar\n"})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/Dockerfile":
			w.Write([]byte("FROM busybox\nRUN echo remote-df > /f\n"))
		case "/ctx.tar":
			w.Header().Set("Content-Type", "application/x-tar")
			w.Write(tarball)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	rmi(t, d, "it-url")
	for name, bin := range clis(t, d) {
		for path, want := range map[string]string{"/Dockerfile": "remote-df\n", "/ctx.tar": "remote-tar\n"} {
			out, err := cli(d, bin, t.TempDir(), "", "build", "-t", "it-url", srv.URL+path)
			if err != nil {
				t.Errorf("%s %s: %v\n%s", name, path, err, out)
				continue
			}
			if got, _ := d.Run("run", "--rm", "it-url", "cat", "/f"); got != want {
				t.Errorf("%s %s: %q", name, path, got)
			}
		}
	}
	code, out := apiBuild(t, d.HTTPClient(), url.Values{"remote": {srv.URL + "/missing"}}, nil)
	if code != 400 || !strings.Contains(out, "404") {
		t.Errorf("missing remote: %d %s", code, out)
	}
}
