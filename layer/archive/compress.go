package archive

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"fmt"
	"io"
	"os/exec"

	"github.com/berth-project/berth/internal/errdefs"
)

// Compression is a detected stream compression.
type Compression int

const (
	Uncompressed Compression = iota
	Gzip
	Bzip2
	Xz
	Zstd
)

func (c Compression) String() string {
	return [...]string{"uncompressed", "gzip", "bzip2", "xz", "zstd"}[c]
}

// DetectCompression tells the compression from a stream's first bytes.
func DetectCompression(magic []byte) Compression {
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b, 0x08}):
		return Gzip
	case bytes.HasPrefix(magic, []byte("BZh")):
		return Bzip2
	case bytes.HasPrefix(magic, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		return Xz
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return Zstd
	}
	return Uncompressed
}

// DecompressStream returns r decompressed according to its magic bytes
// (gzip, bzip2, xz and zstd via the xz/zstd programs, or as is). Closing
// the result releases helpers but does not close r.
func DecompressStream(r io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(6)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, fmt.Errorf("detect compression: %w", err)
	}
	switch DetectCompression(magic) {
	case Gzip:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	case Bzip2:
		return io.NopCloser(bzip2.NewReader(br)), nil
	case Xz:
		return runDecompressor("xz", br)
	case Zstd:
		return runDecompressor("zstd", br)
	}
	return io.NopCloser(br), nil
}

// cmdReader streams a decompressor's stdout and reports its failure at EOF.
type cmdReader struct {
	io.ReadCloser
	cmd  *exec.Cmd
	done bool
}

func (c *cmdReader) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	if err == io.EOF && !c.done {
		c.done = true
		if werr := c.cmd.Wait(); werr != nil {
			return n, fmt.Errorf("%s: %w", c.cmd.Path, werr)
		}
	}
	return n, err
}

func (c *cmdReader) Close() error {
	c.ReadCloser.Close()
	if !c.done {
		c.done = true
		c.cmd.Process.Kill()
		c.cmd.Wait()
	}
	return nil
}

func runDecompressor(prog string, r io.Reader) (io.ReadCloser, error) {
	bin, err := exec.LookPath(prog)
	if err != nil {
		return nil, errdefs.NotImplemented("%s-compressed input needs the %s program, which is not installed", prog, prog)
	}
	cmd := exec.Command(bin, "-d", "-c", "-q")
	cmd.Stdin = r
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", prog, err)
	}
	return &cmdReader{ReadCloser: out, cmd: cmd}, nil
}
