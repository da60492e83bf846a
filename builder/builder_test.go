package builder

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	containertypes "github.com/moby/moby/api/types/container"
)

func sp(s string) *string { return &s }

func TestBuildArgs(t *testing.T) {
	used := &usedArgs{seen: map[string]bool{}}
	base := newBuildArgs(map[string]*string{"V": sp("cli"), "HTTP_PROXY": sp("p"), "UNUSED": sp("u")}, used)
	base.addMeta("META", sp("m"))
	base.addMeta("V", sp("metadefault"))
	a := base.forStage()
	a.add("V", sp("d"))
	a.add("META", nil) // inherits the meta value
	a.add("NOVAL", nil)
	got := a.filterAllowed([]string{"PATH=/bin"})
	want := []string{"V=cli", "META=m", "HTTP_PROXY=p"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("filterAllowed = %v, want %v", got, want)
	}
	// An ENV of the same name hides the arg.
	if got := a.filterAllowed([]string{"V=env"}); strings.Contains(strings.Join(got, " "), "V=cli") {
		t.Errorf("ENV should override: %v", got)
	}
	cmd := a.prependEnvOnCmd(got, []string{"/bin/sh", "-c", "x"})
	if strings.Join(cmd, " ") != "|2 META=m V=cli /bin/sh -c x" {
		t.Errorf("prependEnvOnCmd = %v (proxy args stay out of history)", cmd)
	}
	if left := unconsumed(base.options, used); !reflect.DeepEqual(left, []string{"UNUSED"}) {
		t.Errorf("unconsumed = %v", left)
	}
}

func parse(t *testing.T, df string) ([]instructions.Stage, []instructions.ArgCommand) {
	t.Helper()
	res, err := parser.Parse(strings.NewReader(df))
	if err != nil {
		t.Fatal(err)
	}
	st, meta, err := instructions.Parse(res.AST, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st, meta
}

func TestPlanStages(t *testing.T) {
	tests := []struct {
		df    string
		order []int
	}{
		{"FROM busybox\nRUN true\n", []int{0}},
		{"FROM busybox AS a\nFROM busybox AS b\nFROM busybox\nCOPY --from=a / /\n", []int{0, 2}},
		{"FROM busybox AS a\nFROM a AS b\nFROM busybox AS c\nFROM b\nCOPY --from=2 / /\n", []int{0, 1, 2, 3}},
		{"ARG S=a\nFROM busybox AS a\nFROM busybox AS b\nFROM ${S}\n", []int{0, 2}},
	}
	for _, tt := range tests {
		st, meta := parse(t, tt.df)
		args := newBuildArgs(nil, &usedArgs{seen: map[string]bool{}})
		for _, m := range meta {
			if err := processMetaArg(m, args, '\\'); err != nil {
				t.Fatal(err)
			}
		}
		p, err := planStages(st, args, '\\')
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(p.order, tt.order) {
			t.Errorf("%q: order %v, want %v", tt.df, p.order, tt.order)
		}
	}
	st, _ := parse(t, "FROM busybox AS a\nCOPY --from=0 / /\n")
	if _, err := planStages(st, newBuildArgs(nil, &usedArgs{seen: map[string]bool{}}), '\\'); err == nil {
		t.Error("COPY --from its own index should fail")
	}
}

type bufWriter struct{ bytes.Buffer }

func TestSequencerOrdersStages(t *testing.T) {
	var out bufWriter
	s := &stream{out: &out}
	q := newSequencer(s, 3)
	q.outs[2].printf("third\n")
	q.outs[1].printf("second\n")
	q.outs[0].printf("first\n")
	q.finish(2)
	q.finish(1)
	if strings.Contains(out.String(), "second") {
		t.Fatalf("stage 1 written before stage 0 finished: %s", out.String())
	}
	q.finish(0)
	got := out.String()
	i0, i1, i2 := strings.Index(got, "first"), strings.Index(got, "second"), strings.Index(got, "third")
	if i0 < 0 || i1 < i0 || i2 < i1 {
		t.Errorf("order wrong: %s", got)
	}
}

func TestNormalizeDest(t *testing.T) {
	tests := []struct{ wd, dest, want string }{
		{"", "/a", "/a"},
		{"", "a", "/a"},
		{"/w", "a/", "/w/a/"},
		{"/w", ".", "/w/"},
		{"/w", "/x/../y", "/y"},
		{"", "/", "/"},
	}
	for _, tt := range tests {
		if got := normalizeDest(tt.wd, tt.dest); got != tt.want {
			t.Errorf("normalizeDest(%q, %q) = %q, want %q", tt.wd, tt.dest, got, tt.want)
		}
	}
}

func TestParseExpose(t *testing.T) {
	set, err := parseExpose([]string{"80", "53/udp", "8000-8001"})
	if err != nil || len(set) != 4 {
		t.Fatalf("set %v err %v", set, err)
	}
	for _, bad := range []string{"abc", "80:80", "70000"} {
		if _, err := parseExpose([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestHealthText(t *testing.T) {
	h := &containertypes.HealthConfig{Test: []string{"CMD-SHELL", "true"}, Interval: 5 * time.Minute, Timeout: 3 * time.Second}
	want := `&{["CMD-SHELL" "true"] "5m0s" "3s" "0s" "0s" '\x00'}`
	if got := healthText(h); got != want {
		t.Errorf("healthText = %s, want %s", got, want)
	}
}

func TestHashPath(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	os.WriteFile(p, []byte("one"), 0o644)
	h1, _ := hashPath(p)
	os.Chtimes(p, time.Now().Add(time.Hour), time.Now().Add(time.Hour))
	h2, _ := hashPath(p)
	if h1 != h2 || !strings.HasPrefix(h1, "file:") {
		t.Errorf("mtime must not change the hash: %s %s", h1, h2)
	}
	os.Chmod(p, 0o755)
	if h3, _ := hashPath(p); h3 == h1 {
		t.Error("mode change kept the hash")
	}
	os.WriteFile(p, []byte("two"), 0o755)
	h4, _ := hashPath(p)
	if d, _ := hashPath(dir); !strings.HasPrefix(d, "dir:") || h4 == h1 {
		t.Errorf("dir hash %s, content hash %s", d, h4)
	}
}

func TestParsePlatform(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"linux/x86_64", "linux/amd64"},
		{"linux/aarch64", "linux/arm64"},
		{"linux/arm64/v8", "linux/arm64/v8"},
	}
	for _, tt := range tests {
		if got, err := parsePlatform(tt.in); err != nil || got != tt.want {
			t.Errorf("parsePlatform(%q) = %q, %v", tt.in, got, err)
		}
	}
	for _, bad := range []string{"windows/amd64", "/amd64", "a/b/c/d"} {
		if _, err := parsePlatform(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestIsGitURL(t *testing.T) {
	for in, want := range map[string]bool{
		"git://h/r": true, "git@h:r.git": true, "github.com/a/b": true, "http://127.0.0.1/r.git#main:sub": true,
		"http://127.0.0.1/ctx.tar": false, "https://h/r": false,
	} {
		if isGitURL(in) != want {
			t.Errorf("isGitURL(%q) != %v", in, want)
		}
	}
}

func tarOf(_ *testing.T, files map[string]string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for n, c := range files {
		tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(c)), Typeflag: tar.TypeReg})
		tw.Write([]byte(c))
	}
	tw.Close()
	return buf.Bytes()
}

func TestOpenContext(t *testing.T) {
	tmp := t.TempDir()
	// A plain Dockerfile body.
	bc, err := openContext(t.Context(), tmp, &Options{}, strings.NewReader("FROM busybox\n"), &bytes.Buffer{})
	if err != nil || string(bc.dockerfile) != "FROM busybox\n" {
		t.Fatalf("plain: %v %q", err, bc)
	}
	bc.cleanup()
	// A tar with .dockerignore: excluded files are gone, exceptions stay.
	body := tarOf(t, map[string]string{
		"Dockerfile": "FROM x\n", ".dockerignore": "**/*.log\n!keep.log\nsecret\n",
		"a/b.log": "x", "keep.log": "k", "secret/s": "s", "src/main": "m",
	})
	bc, err = openContext(t.Context(), tmp, &Options{}, bytes.NewReader(body), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	defer bc.cleanup()
	for p, want := range map[string]bool{"a/b.log": false, "keep.log": true, "secret/s": false, "src/main": true, "Dockerfile": true} {
		_, err := os.Stat(filepath.Join(bc.root, p))
		if (err == nil) != want {
			t.Errorf("%s present=%v, want %v", p, err == nil, want)
		}
	}
	if _, err := openContext(t.Context(), tmp, &Options{Dockerfile: "nope"}, bytes.NewReader(body), &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "Cannot locate specified Dockerfile: nope") {
		t.Errorf("missing Dockerfile: %v", err)
	}
	// A tar cut inside a file is refused and leaves nothing behind.
	big := tarOf(t, map[string]string{"Dockerfile": strings.Repeat("#", 8192)})
	if _, err := openContext(t.Context(), tmp, &Options{}, bytes.NewReader(big[:3000]), &bytes.Buffer{}); err == nil {
		t.Error("truncated tar accepted")
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 1 { // the deferred cleanup's
		t.Errorf("leftovers in tmp: %v", ents)
	}
}
