package builder

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

func tarNames(t *testing.T, r io.Reader) []string {
	t.Helper()
	var names []string
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s owned by %d:%d", h.Name, h.Uid, h.Gid)
		}
		names = append(names, h.Name)
	}
	sort.Strings(names)
	return names
}

func TestPrepareInput(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]string{
		"Dockerfile": "FROM x\n", ".dockerignore": "data\n*.log\nDockerfile\n", "data/big": "x", "a.log": "x", "src/m": "m",
	} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		os.WriteFile(filepath.Join(dir, name), []byte(c), 0o644)
	}
	in, err := prepareInput(dir, "", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	// Excluded paths stay out, the Dockerfile and .dockerignore always go.
	if got := strings.Join(tarNames(t, in.body), " "); got != ".dockerignore Dockerfile src/ src/m" || in.dockerfile != "Dockerfile" {
		t.Errorf("tar %q, dockerfile %q", got, in.dockerfile)
	}
	// -f outside the context travels under a random name.
	out := filepath.Join(t.TempDir(), "Other")
	os.WriteFile(out, []byte("FROM y\n"), 0o644)
	in, err = prepareInput(dir, out, nil, false)
	if err != nil || !strings.HasPrefix(in.dockerfile, ".dockerfile.") {
		t.Fatalf("%v %q", err, in.dockerfile)
	}
	if names := tarNames(t, in.body); !strings.Contains(strings.Join(names, " "), in.dockerfile) {
		t.Errorf("extra Dockerfile missing: %v", names)
	}
	// `-` with a Dockerfile: a one-file context.
	in, err = prepareInput("-", "", strings.NewReader("FROM z\n"), false)
	if err != nil || strings.Join(tarNames(t, in.body), " ") != "Dockerfile" {
		t.Fatalf("stdin Dockerfile: %v", err)
	}
	// `-` with a tar: passed through.
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: 1, Typeflag: tar.TypeReg})
	tw.Write([]byte("x"))
	tw.Close()
	in, err = prepareInput("-", "", bytes.NewReader(tb.Bytes()), false)
	if err != nil || strings.Join(tarNames(t, in.body), " ") != "Dockerfile" {
		t.Fatalf("stdin tar: %v", err)
	}
	if in, err := prepareInput("https://127.0.0.1/r.git#main", "", nil, false); err != nil || in.remote == "" || in.body != nil {
		t.Errorf("remote: %v %+v", err, in)
	}
	if _, err := prepareInput("-", "-", nil, false); err == nil {
		t.Error("stdin for both accepted")
	}
	if _, err := prepareInput(filepath.Join(dir, "nope"), "", nil, false); err == nil {
		t.Error("missing dir accepted")
	}
}

func TestStepTimer(t *testing.T) {
	var out bytes.Buffer
	st := newStepTimer(&out)
	now := time.Unix(0, 0)
	st.now = func() time.Time { return now }
	io.WriteString(st, "Step 1/2 : FROM busybox\n ---> abc\nStep 2/2 : RUN echo hi\n ---> Running in x\n")
	now = now.Add(1500 * time.Millisecond)
	io.WriteString(st, "hi\n ---> def\nSuccessfully built def\n")
	st.finish(false)
	want := "Step 1/2 : FROM busybox  0.0s\nStep 2/2 : RUN echo hi  1.5s\nSuccessfully built def\n"
	if out.String() != want {
		t.Errorf("got\n%q\nwant\n%q", out.String(), want)
	}
	out.Reset()
	st = newStepTimer(&out)
	io.WriteString(st, "Step 1/1 : RUN false\n ---> Running in x\nboom\n")
	st.finish(true)
	if !strings.Contains(out.String(), "boom") {
		t.Errorf("failed step output hidden: %q", out.String())
	}
}
