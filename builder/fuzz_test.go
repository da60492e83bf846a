package builder

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// FuzzDockerfile drives the Dockerfile front end as a build does: parse,
// instructions, meta ARGs, the stage plan and word expansion. It must
// never panic, whatever the input.
func FuzzDockerfile(f *testing.F) {
	for _, s := range []string{
		"FROM busybox\nRUN echo hi\n",
		"# escape=`\nFROM busybox\nRUN echo `\n  hi\n",
		"ARG B=busybox\nFROM ${B} AS a\nFROM a\nCOPY --from=a / /\nCOPY --from=0 /x /y\n",
		"FROM busybox\nENV A=${X:-d} B=${A:+s}\nLABEL a=b \"c d\"=e\nEXPOSE 80/udp 1-3\n",
		"FROM busybox\nRUN <<EOF\necho hi\nEOF\nCOPY <<X /f\nbody\nX\n",
		"FROM busybox\nHEALTHCHECK --interval=1s CMD true\nONBUILD RUN x\nSHELL [\"/bin/sh\", \"-c\"]\n",
		"FROM scratch\nCOPY --chown=1:2 --chmod=0644 a b /c/\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, df string) {
		res, err := parser.Parse(strings.NewReader(df))
		if err != nil {
			return
		}
		stages, meta, err := instructions.Parse(res.AST, nil)
		if err != nil || len(stages) == 0 {
			return
		}
		args := newBuildArgs(map[string]*string{"X": sp("1")}, &usedArgs{seen: map[string]bool{}})
		for _, m := range meta {
			if processMetaArg(m, args, res.EscapeToken) != nil {
				return
			}
		}
		if _, err := planStages(stages, args, res.EscapeToken); err != nil {
			return
		}
		lex := shell.NewLex(res.EscapeToken)
		env := shell.EnvsFromSlice([]string{"A=1", "B=two words"})
		for _, s := range stages {
			for _, c := range s.Commands {
				if ex, ok := c.(instructions.SupportsSingleWordExpansion); ok {
					_ = ex.Expand(func(w string) (string, error) {
						v, _, err := lex.ProcessWord(w, env)
						return v, err
					})
				}
				if e, ok := c.(*instructions.ExposeCommand); ok {
					_, _ = parseExpose(e.Ports)
				}
				_ = commandText(c)
			}
		}
	})
}

// FuzzContext feeds arbitrary bytes to the context reader (tar, compressed
// or a plain Dockerfile): it must fail cleanly and keep everything inside
// its temp dir.
func FuzzContext(f *testing.F) {
	f.Add([]byte("FROM busybox\n"))
	f.Add(tarOf(nil, map[string]string{"Dockerfile": "FROM busybox\n", ".dockerignore": "*\n!Dockerfile\n", "a": "b"}))
	f.Add(tarOf(nil, map[string]string{"Dockerfile": "FROM x\n", "../escape": "x"}))
	f.Add([]byte{0x1f, 0x8b, 0x08, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		tmp, err := os.MkdirTemp("", "fuzzctx-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(tmp)
		bc, err := openContext(t.Context(), tmp, &Options{}, bytes.NewReader(data), &bytes.Buffer{})
		if err == nil {
			if !strings.HasPrefix(bc.root, tmp) {
				t.Fatalf("context root %s outside %s", bc.root, tmp)
			}
			bc.cleanup()
		}
	})
}
