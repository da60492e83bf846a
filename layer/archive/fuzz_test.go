package archive

import (
	"archive/tar"
	"bytes"
	"testing"
)

// FuzzApply feeds arbitrary tar streams to Apply and asserts that nothing
// outside the destination changes, whatever the outcome. (The fuzz
// progress line may show "0/sec": workers report their count in batches.)
func FuzzApply(f *testing.F) {
	seeds := [][]ent{
		{file("../x", "evil")},
		{file("/etc/x", "x")},
		{symlink("a", "/"), file("a/etc/passwd", "x")},
		{symlink("a", "../sentinel"), file("a/file", "x")},
		{symlink("a", "b"), symlink("b", "../.."), file("a/sentinel/file", "x")},
		{hardlink("pw", "/etc/passwd")},
		{hardlink("pw", "../sentinel/file")},
		{symlink("s", "../sentinel"), hardlink("h", "s/file")},
		{dir("d/"), symlink("d", ".."), file("d/sentinel/file", "x")},
		{{name: "null", typ: tar.TypeChar, mode: 0o666, major: 1, minor: 3}},
		{file(".wh.x", ""), dir("d/"), file("d/.wh..wh..opq", "")},
		{symlink("s", "../sentinel"), file("s/.wh.file", "")},
		{symlink("s", "../sentinel"), file("s/.wh..wh..opq", "")},
		{symlink("s", "../sentinel/file"), {name: "s", typ: tar.TypeReg, mode: 0o4777, uid: 5}},
	}
	for i, s := range seeds {
		f.Add(mkTar(f, s...), byte(i))
	}
	f.Fuzz(func(t *testing.T, data []byte, mode byte) {
		b := newBox(t)
		opts := ApplyOptions{Whiteouts: WhiteoutMode(mode % 3), AllowDevices: mode&4 != 0, NoOverwriteDirNonDir: mode&8 != 0}
		Apply(b.dst, bytes.NewReader(data), opts)
		b.check(t)
	})
}
