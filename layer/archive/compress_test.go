package archive

import (
	"bytes"
	"compress/gzip"
	"io"
	"os/exec"
	"testing"
)

func TestDecompressStream(t *testing.T) {
	plain := bytes.Repeat([]byte("berth layer data "), 1000)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain)
	zw.Close()
	viaProg := func(prog string) []byte {
		if _, err := exec.LookPath(prog); err != nil {
			return nil
		}
		cmd := exec.Command(prog, "-c")
		cmd.Stdin = bytes.NewReader(plain)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v", prog, err)
		}
		return out
	}
	cases := map[string][]byte{"plain": plain, "gzip": gz.Bytes(), "bzip2": viaProg("bzip2"), "xz": viaProg("xz"), "zstd": viaProg("zstd"), "empty": nil}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			if in == nil && name != "empty" {
				t.Skipf("%s not installed", name)
			}
			rc, err := DecompressStream(bytes.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			want := plain
			if name == "empty" {
				want = nil
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("got %d bytes, want %d", len(got), len(want))
			}
		})
	}
	// A corrupt xz stream reports the decompressor's failure.
	if _, err := exec.LookPath("xz"); err == nil {
		rc, err := DecompressStream(bytes.NewReader([]byte{0xfd, '7', 'z', 'X', 'Z', 0, 1, 2, 3}))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadAll(rc); err == nil {
			t.Fatal("corrupt xz: no error")
		}
		rc.Close()
	}
}
